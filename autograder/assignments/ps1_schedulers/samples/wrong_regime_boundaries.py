# variant-of: correct
# %% answer: gd_regime_answer
def gd_regime(lr, curvature):
    product = lr * curvature
    if product < 1:  # WRONG: lr·curvature = 1 converges in one step (monotone)
        return "monotone"
    if product < 2:  # WRONG: at lr·curvature = 2 x flips sign at a constant size: oscillating, not diverging
        return "oscillating"
    return "diverging"
