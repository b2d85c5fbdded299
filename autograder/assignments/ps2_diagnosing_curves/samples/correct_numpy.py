# variant-of: correct
# A correct solution written with numpy arrays: full marks.
# %% answer: diagnose_answer
def _swings(curve, size):
    count, low, high = 0, curve[0], None
    for x in curve[1:]:
        if high is None:
            low = min(low, x)
            high = x if x - low > size else None
        else:
            high = max(high, x)
            if high - x > size:
                count, low, high = count + 1, x, None
    return count


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
    if train[-1] > DIVERGE_RATIO * t1 or max(train.max(), val.max()) > DIVERGE_LOSS:
        return "diverging"
    m = int(np.argmin(val))
    if val[-1] - val[m] > max(OVERFIT_RISE * val[m], MIN_CHANGE) and train[-1] < train[m]:
        return "overfitting"
    if _swings(train, RISE_FRACTION * t1) + _swings(val, RISE_FRACTION * v1) >= MIN_SWINGS:
        return "oscillating"
    k = max(1, int(np.ceil(TAIL_FRACTION * train.size)))
    tail = np.array([train[-1 - k] - train[-1], val[-1 - k] - val[-1]])
    whole = np.array([t1 - train[-1], v1 - val[-1]])
    if train[-1] > STALL_RATIO * t1 or np.any(tail > np.maximum(TAIL_SHARE * whole, MIN_CHANGE)):
        return "too_slow"
    return "good"

# %% answer: next_lr_answer
def next_lr(lr, label):
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}")
    if lr <= 0:
        raise ValueError("lr must be > 0")
    return float(np.float64(lr) * {"diverging": 0.1, "oscillating": 1 / 3, "too_slow": 3}.get(label, 1.0))
