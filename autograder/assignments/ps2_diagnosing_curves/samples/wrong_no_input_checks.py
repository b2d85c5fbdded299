# variant-of: correct
# Wrong: right rules, but no ValueError for bad input (zip silently truncates, short curves pass).
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
    pairs = [(float(t), float(v)) for t, v in zip(train_loss, val_loss)]
    if not pairs:
        return "too_slow"
    train = [t for t, _ in pairs]
    val = [v for _, v in pairs]
    n, t1, v1 = len(train), train[0], val[0]
    if not all(math.isfinite(x) for x in train + val) or train[-1] > DIVERGE_RATIO * t1 or max(train + val) > DIVERGE_LOSS:
        return "diverging"
    m = val.index(min(val))
    if val[-1] - val[m] > max(OVERFIT_RISE * val[m], MIN_CHANGE) and train[-1] < train[m]:
        return "overfitting"
    if _swings(train, RISE_FRACTION * t1) + _swings(val, RISE_FRACTION * v1) >= MIN_SWINGS:
        return "oscillating"
    k = max(1, math.ceil(TAIL_FRACTION * n))
    if (train[-1] > STALL_RATIO * t1 or train[-1 - k] - train[-1] > max(TAIL_SHARE * (t1 - train[-1]), MIN_CHANGE)
            or val[-1 - k] - val[-1] > max(TAIL_SHARE * (v1 - val[-1]), MIN_CHANGE)):
        return "too_slow"
    return "good"
