# variant-of: correct
# Wrong: thresholds on absolute loss values tuned on digits (start near ln 10 = 2.3).
# %% answer: diagnose_answer
def diagnose(train_loss, val_loss):
    train = [float(x) for x in train_loss]
    val = [float(x) for x in val_loss]
    if len(train) != len(val) or len(train) < 5:
        raise ValueError("need two curves of equal length, at least 5 epochs")
    if not all(math.isfinite(x) for x in train + val) or train[-1] > 3.5:
        return "diverging"
    rises = sum(1 for a, b in zip(train, train[1:]) if b - a > 0.23)
    rises += sum(1 for a, b in zip(val, val[1:]) if b - a > 0.23)
    if rises >= 3:
        return "oscillating"
    k = max(1, math.ceil(len(train) / 4))
    if train[-1] > 1.8 or train[-1 - k] - train[-1] > 0.07:
        return "too_slow"
    m = val.index(min(val))
    if val[-1] - val[m] > 0.23 and train[-1] < train[m]:
        return "overfitting"
    return "good"
