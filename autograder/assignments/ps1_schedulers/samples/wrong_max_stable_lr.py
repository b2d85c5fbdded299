# variant-of: correct
# %% answer: max_stable_lr_answer
def max_stable_lr(curvature):
    if curvature <= 0:
        raise ValueError("curvature must be positive")
    return 1.0 / curvature  # WRONG: that is the fastest monotone rate, not the stability limit
