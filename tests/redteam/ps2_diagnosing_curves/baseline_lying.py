# variant-of: correct
# Honest equivalent of lying_objects: the plain values those objects really hold.
# %% answer: diagnose_answer
def diagnose(train_loss, val_loss):
    return None
# %% answer: next_lr_answer
def next_lr(lr, label):
    if label not in LABELS:  # noqa: F821
        raise ValueError(label)
    return 0.0
# %% answer: figures_answer
ANSWERS = None
