# variant-of: correct
# A loop built on problem set 2: its rules (thresholds, diagnose and next_lr, pasted from the
# reference answers) say which way to move the rate and how far; once they have nothing new to
# propose (a "good" run, or a fix that repeats a rate), the loop refines around its best run by
# validation loss, and stops when nothing near it is left to try.
# %% answer: tuning_loop_answer
# Problem set 2's thresholds and rules.
LABELS = ("diverging", "oscillating", "too_slow", "overfitting", "good")
DIVERGE_RATIO = 1.5   # diverging: last training loss > 1.5 x the first one ...
DIVERGE_LOSS = 100.0   # ... or some loss > 100 (a model that guesses scores ln(classes) <= 2.3 here)
OVERFIT_RISE = 0.3    # overfitting: validation ends > 30 % above its minimum, training still falling
RISE_FRACTION = 0.2  # a swing: a curve climbs > 20 % of its first value above a low, then falls as much
MIN_SWINGS = 2        # oscillating: at least 2 swing(s), training and validation counted together
STALL_RATIO = 0.9    # too slow: last training loss > 90 % of the first one ...
TAIL_FRACTION = 0.5  # ... or the last 50 % of the epochs (rounded up) ...
TAIL_SHARE = 0.1    # ... still brought > 10 % of a curve's whole drop
MIN_CHANGE = 0.02   # overfitting's rise and too slow's late fall must also exceed 0.02 (smaller is noise)


def _swings(curve, size):
    """Up-and-down moves larger than ``size``: a climb above the lowest value so far, then a fall."""
    count, low, high = 0, curve[0], None
    for x in curve[1:]:
        if high is None:  # looking for a climb of more than size above the low
            low = min(low, x)
            if x - low > size:
                high = x
        else:  # climbed: looking for a fall of more than size below the high
            high = max(high, x)
            if high - x > size:
                count += 1
                low, high = x, None
    return count


def diagnose(train_loss, val_loss):
    """Name the shape of a (training, validation) loss curve pair: one of LABELS."""
    train = [float(x) for x in train_loss]
    val = [float(x) for x in val_loss]
    if len(train) != len(val):
        raise ValueError(f"train_loss has {len(train)} epochs but val_loss has {len(val)}")
    if len(train) < 5:
        raise ValueError(f"need at least 5 epochs, got {len(train)}")
    n = len(train)
    t1, v1 = train[0], val[0]

    if (not all(math.isfinite(x) for x in train + val) or train[-1] > DIVERGE_RATIO * t1
            or max(train + val) > DIVERGE_LOSS):
        return "diverging"

    m = min(range(n), key=lambda i: val[i])  # the first epoch with the smallest validation loss
    if val[-1] - val[m] > max(OVERFIT_RISE * val[m], MIN_CHANGE) and train[-1] < train[m]:
        return "overfitting"

    if _swings(train, RISE_FRACTION * t1) + _swings(val, RISE_FRACTION * v1) >= MIN_SWINGS:
        return "oscillating"

    k = max(1, math.ceil(TAIL_FRACTION * n))
    still_falling = (train[-1 - k] - train[-1] > max(TAIL_SHARE * (t1 - train[-1]), MIN_CHANGE)
                     or val[-1 - k] - val[-1] > max(TAIL_SHARE * (v1 - val[-1]), MIN_CHANGE))
    if train[-1] > STALL_RATIO * t1 or still_falling:
        return "too_slow"
    return "good"


def next_lr(lr, label):
    """The learning rate to try after a run whose curves were diagnosed as ``label``."""
    factors = {"diverging": 1 / 10, "oscillating": 1 / 3, "too_slow": 3.0, "overfitting": 1.0, "good": 1.0}
    if label not in factors:
        raise ValueError(f"unknown label {label!r}; expected one of {LABELS}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    if label == "diverging":
        return float(lr) / 10
    if label == "oscillating":
        return float(lr) / 3
    return float(lr) * factors[label]


def choose_lr(history):
    """The rate with the lowest validation loss among the runs that did not diverge."""
    return min(history, key=lambda run: math.inf if run["diverged"] else min(run["val_loss"]))["lr"]


def next_trial(history):
    """Start at 1e-2 and follow problem set 2's fix while it proposes a new rate; then refine
    around the best run by quarter and half decades."""
    if not history:
        return 1e-2
    if len(history) >= MAX_TRIALS:
        return None
    tried = [run["lr"] for run in history]
    new = lambda lr: MIN_LR <= lr <= MAX_LR and all(abs(math.log10(lr / t)) > 0.1 for t in tried)  # noqa: E731
    last = history[-1]
    lr = next_lr(last["lr"], diagnose(last["train_loss"], last["val_loss"]))
    if lr != last["lr"] and new(lr):
        return lr
    best = choose_lr(history)
    for factor in (10 ** 0.25, 10 ** -0.25, 10 ** 0.5, 10 ** -0.5):
        if new(best * factor):
            return best * factor
    return None
