# variant-of: correct
# A correct solution with helper functions and loops, all inside the answer cell: full marks.
# %% answer: diagnose_answer
def _large_rises(curve):
    first = curve[0]
    count = 0
    for i in range(1, len(curve)):
        if curve[i] - curve[i - 1] > RISE_FRACTION * first:
            count += 1
    return count


def _all_finite(*curves):
    for curve in curves:
        for x in curve:
            if math.isnan(x) or math.isinf(x):
                return False
    return True


def diagnose(train_loss, val_loss):
    train, val = list(map(float, train_loss)), list(map(float, val_loss))
    if len(train) != len(val) or len(train) < 5:
        raise ValueError("need two loss curves of the same length, at least 5 epochs each")
    n = len(train)
    if not _all_finite(train, val) or train[-1] / train[0] > DIVERGE_RATIO:
        return "diverging"
    if _large_rises(train) + _large_rises(val) >= MIN_RISES:
        return "oscillating"
    k = max(1, math.ceil(n * TAIL_FRACTION))
    barely_moved = train[-1] > STALL_RATIO * train[0]
    still_falling = train[n - 1 - k] - train[n - 1] > TAIL_DROP * train[0]
    if barely_moved or still_falling:
        return "too_slow"
    m = val.index(min(val))
    if val[-1] - val[m] > OVERFIT_RISE * val[0] and train[-1] < train[m]:
        return "overfitting"
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
