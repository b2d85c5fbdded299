# variant-of: correct
# Wrong: thresholds on absolute loss values tuned on digits (start near ln 10 = 2.3).
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
    n = len(train)
    if not all(math.isfinite(x) for x in train + val) or train[-1] > 3.5 or max(train + val) > 100:
        return "diverging"
    m = val.index(min(val))
    if val[-1] - val[m] > 0.1 and train[-1] < train[m]:
        return "overfitting"
    if _swings(train, 0.46) + _swings(val, 0.46) >= 2:
        return "oscillating"
    k = max(1, math.ceil(n / 2))
    if train[-1] > 2.0 or train[-1 - k] - train[-1] > 0.2:
        return "too_slow"
    return "good"
