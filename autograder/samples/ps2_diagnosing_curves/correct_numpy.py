# variant-of: correct
# A correct solution written with numpy arrays: full marks.
# %% answer: diagnose_answer
def diagnose(train_loss, val_loss):
    train = np.asarray(train_loss, dtype=float).ravel()
    val = np.asarray(val_loss, dtype=float).ravel()
    if train.shape != val.shape:
        raise ValueError("train_loss and val_loss must have the same length")
    if train.size < 5:
        raise ValueError("need at least 5 epochs")
    if not (np.all(np.isfinite(train)) and np.all(np.isfinite(val))):
        return "diverging"
    t1, v1 = train[0], val[0]
    if train[-1] > DIVERGE_RATIO * t1:
        return "diverging"
    rises = np.sum(np.diff(train) > RISE_FRACTION * t1) + np.sum(np.diff(val) > RISE_FRACTION * v1)
    if rises >= MIN_RISES:
        return "oscillating"
    k = max(1, int(np.ceil(TAIL_FRACTION * train.size)))
    if train[-1] > STALL_RATIO * t1 or train[-1 - k] - train[-1] > TAIL_DROP * t1:
        return "too_slow"
    m = int(np.argmin(val))
    if val[-1] - val[m] > OVERFIT_RISE * v1 and train[-1] < train[m]:
        return "overfitting"
    return "good"

# %% answer: next_lr_answer
def next_lr(lr, label):
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}")
    if lr <= 0:
        raise ValueError("lr must be > 0")
    return float(np.float64(lr) * {"diverging": 0.1, "oscillating": 1 / 3, "too_slow": 3}.get(label, 1.0))
