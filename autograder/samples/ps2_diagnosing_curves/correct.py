# %% answer: diagnose_answer
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

    if not all(math.isfinite(x) for x in train + val) or train[-1] > DIVERGE_RATIO * t1:
        return "diverging"

    rises = sum(1 for a, b in zip(train, train[1:]) if b - a > RISE_FRACTION * t1)
    rises += sum(1 for a, b in zip(val, val[1:]) if b - a > RISE_FRACTION * v1)
    if rises >= MIN_RISES:
        return "oscillating"

    k = max(1, math.ceil(TAIL_FRACTION * n))
    if train[-1] > STALL_RATIO * t1 or train[-1 - k] - train[-1] > TAIL_DROP * t1:
        return "too_slow"

    m = min(range(n), key=lambda i: val[i])  # the first epoch with the smallest validation loss
    if val[-1] - val[m] > OVERFIT_RISE * v1 and train[-1] < train[m]:
        return "overfitting"
    return "good"

# %% answer: next_lr_answer
def next_lr(lr, label):
    """The learning rate to try after a run whose curves were diagnosed as ``label``."""
    factors = {"diverging": 1 / 10, "oscillating": 1 / 3, "too_slow": 3.0, "overfitting": 1.0, "good": 1.0}
    if label not in factors:
        raise ValueError(f"unknown label {label!r}; expected one of {LABELS}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    if label == "diverging":
        return float(lr) / 10
    if label == "oscillating":
        return float(lr) / 3
    return float(lr) * factors[label]

# %% answer: figures_answer
ANSWERS = {
    "figure_a": "overfitting",
    "figure_b": "too_slow",
    "figure_c": "oscillating",
    "figure_d": "good",
    "figure_e": "diverging",
}
