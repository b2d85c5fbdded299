# variant-of: correct
# Wrong: right rules, but no ValueError for bad input (zip silently truncates, short curves pass).
# %% answer: diagnose_answer
def diagnose(train_loss, val_loss):
    pairs = [(float(t), float(v)) for t, v in zip(train_loss, val_loss)]
    if not pairs:
        return "too_slow"
    train = [t for t, _ in pairs]
    val = [v for _, v in pairs]
    n = len(train)
    if not all(math.isfinite(x) for x in train + val) or train[-1] > DIVERGE_RATIO * train[0]:
        return "diverging"
    rises = sum(1 for a, b in zip(train, train[1:]) if b - a > RISE_FRACTION * train[0])
    rises += sum(1 for a, b in zip(val, val[1:]) if b - a > RISE_FRACTION * val[0])
    if rises >= MIN_RISES:
        return "oscillating"
    k = max(1, math.ceil(TAIL_FRACTION * n))
    if train[-1] > STALL_RATIO * train[0] or train[-1 - k] - train[-1] > TAIL_DROP * train[0]:
        return "too_slow"
    m = val.index(min(val))
    if val[-1] - val[m] > OVERFIT_RISE * val[0] and train[-1] < train[m]:
        return "overfitting"
    return "good"
