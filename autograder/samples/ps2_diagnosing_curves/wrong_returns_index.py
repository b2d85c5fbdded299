# variant-of: correct
# Wrong: returns the label's index in LABELS and a numpy scalar rate (not a str / not plain float).
# %% answer: diagnose_answer
def diagnose(train_loss, val_loss):
    train = [float(x) for x in train_loss]
    val = [float(x) for x in val_loss]
    if len(train) != len(val) or len(train) < 5:
        raise ValueError("need two curves of equal length, at least 5 epochs")
    if not all(math.isfinite(x) for x in train + val) or train[-1] > DIVERGE_RATIO * train[0]:
        return 0
    rises = sum(1 for a, b in zip(train, train[1:]) if b - a > RISE_FRACTION * train[0])
    rises += sum(1 for a, b in zip(val, val[1:]) if b - a > RISE_FRACTION * val[0])
    if rises >= MIN_RISES:
        return 1
    k = max(1, math.ceil(TAIL_FRACTION * len(train)))
    if train[-1] > STALL_RATIO * train[0] or train[-1 - k] - train[-1] > TAIL_DROP * train[0]:
        return 2
    m = val.index(min(val))
    if val[-1] - val[m] > OVERFIT_RISE * val[0] and train[-1] < train[m]:
        return 3
    return 4
