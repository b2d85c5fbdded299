# variant-of: correct
# Family 7: one function loops forever; the other checks must keep their points.
# %% answer: next_lr_answer
def next_lr(lr, label):
    while True:
        pass
