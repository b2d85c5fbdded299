# variant-of: correct
# WRONG: counts every climb of more than 20 % of the first value as a swing, with no fall
# after it. The notebook says a swing is a climb AND a fall: a curve that jumps up once and
# stays up, or only climbs, makes no swing.
# %% answer: diagnose_answer
def _swings(curve, size):
    """Climbs of more than ``size`` above the lowest value so far (each one a swing)."""
    count, low = 0, curve[0]
    for x in curve[1:]:
        if x - low > size:
            count += 1
            low = x  # count the next climb from here
        low = min(low, x)
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
