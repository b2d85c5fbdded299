# variant-of: correct
# Family 7: one function loops forever; the other checks must keep their points.
# %% answer: max_stable_lr_answer
def max_stable_lr(curvature):
    while True:
        pass
