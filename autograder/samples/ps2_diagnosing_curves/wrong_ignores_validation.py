# variant-of: correct
# Wrong: looks only at the training loss (never sees overfitting or validation jumps).
# %% answer: diagnose_answer
def diagnose(train_loss, val_loss):
    train = [float(x) for x in train_loss]
    if len(train) != len(val_loss) or len(train) < 5:
        raise ValueError("need two curves of equal length, at least 5 epochs")
    if not all(math.isfinite(x) for x in train) or train[-1] > DIVERGE_RATIO * train[0]:
        return "diverging"
    rises = sum(1 for a, b in zip(train, train[1:]) if b - a > RISE_FRACTION * train[0])
    if rises >= MIN_RISES:
        return "oscillating"
    k = max(1, math.ceil(TAIL_FRACTION * len(train)))
    if train[-1] > STALL_RATIO * train[0] or train[-1 - k] - train[-1] > TAIL_DROP * train[0]:
        return "too_slow"
    return "good"
