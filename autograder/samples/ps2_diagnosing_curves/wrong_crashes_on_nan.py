# variant-of: correct
# Wrong: rounds the losses to fixed point first, which crashes on nan and inf.
# %% answer: diagnose_answer
def diagnose(train_loss, val_loss):
    train = [int(x * 1_000_000) / 1_000_000 for x in train_loss]
    val = [int(x * 1_000_000) / 1_000_000 for x in val_loss]
    if len(train) != len(val) or len(train) < 5:
        raise ValueError("need two curves of equal length, at least 5 epochs")
    n = len(train)
    if train[-1] > DIVERGE_RATIO * train[0]:
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
