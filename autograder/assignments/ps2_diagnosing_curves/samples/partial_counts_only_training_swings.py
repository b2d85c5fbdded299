# variant-of: correct
# PARTIAL: counts only the swings of the TRAINING curve (a bouncing validation loss goes
# unnoticed). Everything else follows the rules; the held-out check gives proportional credit.
# %% answer: diagnose_answer
def _swings(curve, size):
    count, low, high = 0, curve[0], None
    for x in curve[1:]:
        if high is None:
            low = min(low, x)
            if x - low > size:
                high = x
        else:
            high = max(high, x)
            if high - x > size:
                count += 1
                low, high = x, None
    return count


def diagnose(train_loss, val_loss):
    train = [float(x) for x in train_loss]
    val = [float(x) for x in val_loss]
    if len(train) != len(val) or len(train) < 5:
        raise ValueError("need two curves of equal length, at least 5 epochs")
    n, t1 = len(train), train[0]
    if not all(math.isfinite(x) for x in train + val) or train[-1] > DIVERGE_RATIO * t1 or max(train + val) > DIVERGE_LOSS:
        return "diverging"
    m = min(range(n), key=lambda i: val[i])
    if val[-1] - val[m] > max(OVERFIT_RISE * val[m], MIN_CHANGE) and train[-1] < train[m]:
        return "overfitting"
    if _swings(train, RISE_FRACTION * t1) >= MIN_SWINGS:  # PARTIAL: the validation curve is ignored here
        return "oscillating"
    k = max(1, math.ceil(TAIL_FRACTION * n))
    if (train[-1] > STALL_RATIO * t1 or train[-1 - k] - train[-1] > max(TAIL_SHARE * (t1 - train[-1]), MIN_CHANGE)
            or val[-1 - k] - val[-1] > max(TAIL_SHARE * (val[0] - val[-1]), MIN_CHANGE)):
        return "too_slow"
    return "good"
