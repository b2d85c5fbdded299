# %% answer: diagnose_answer
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

# %% answer: next_lr_answer
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

# %% answer: figures_answer
ANSWERS = {
    "figure_a": "overfitting",
    "figure_b": "too_slow",
    "figure_c": "oscillating",
    "figure_d": "good",
    "figure_e": "diverging",
}
