# variant-of: correct
# Wrong: halves/doubles instead of the stated factors, and accepts lr <= 0.
# %% answer: next_lr_answer
def next_lr(lr, label):
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}")
    if label in ("diverging", "oscillating"):
        return lr / 2
    if label == "too_slow":
        return lr * 2
    return float(lr)
