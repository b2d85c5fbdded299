# variant-of: correct
# A correct solution with helper functions and loops, all inside the answer cell: full marks.
# %% answer: diagnose_answer
def _all_finite(*curves):
    for curve in curves:
        for x in curve:
            if math.isnan(x) or math.isinf(x):
                return False
    return True


def _count_swings(curve):
    """Up-and-down moves larger than RISE_FRACTION of the curve's first value."""
    size = RISE_FRACTION * curve[0]
    swings, lowest, highest, climbed = 0, curve[0], curve[0], False
    for x in curve[1:]:
        if not climbed:
            lowest = min(lowest, x)
            if x - lowest > size:
                climbed, highest = True, x
        else:
            highest = max(highest, x)
            if highest - x > size:
                swings += 1
                climbed, lowest = False, x
    return swings


def _still_falling(curve, k):
    whole_drop = curve[0] - curve[-1]
    return curve[-1 - k] - curve[-1] > max(TAIL_SHARE * whole_drop, MIN_CHANGE)


def diagnose(train_loss, val_loss):
    train, val = list(map(float, train_loss)), list(map(float, val_loss))
    if len(train) != len(val) or len(train) < 5:
        raise ValueError("need two loss curves of the same length, at least 5 epochs each")
    n = len(train)
    if not _all_finite(train, val) or train[-1] / train[0] > DIVERGE_RATIO or max(train + val) > DIVERGE_LOSS:
        return "diverging"
    m = val.index(min(val))
    if val[-1] - val[m] > max(OVERFIT_RISE * val[m], MIN_CHANGE) and train[-1] < train[m]:
        return "overfitting"
    if _count_swings(train) + _count_swings(val) >= MIN_SWINGS:
        return "oscillating"
    k = max(1, math.ceil(n * TAIL_FRACTION))
    if train[-1] > STALL_RATIO * train[0] or _still_falling(train, k) or _still_falling(val, k):
        return "too_slow"
    return "good"

# %% answer: next_lr_answer
def next_lr(lr, label):
    if label not in LABELS or not lr > 0:
        raise ValueError(f"bad input: lr={lr!r}, label={label!r}")
    if label == "diverging":
        return lr / 10
    if label == "oscillating":
        return lr / 3
    if label == "too_slow":
        return lr * 3
    return float(lr)
