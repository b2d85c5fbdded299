# variant-of: correct
# Suggests the rate at the minimum itself and calls it "min/10": it is not what the rule gives.
# %% answer: suggest_lr_answer
def suggest_lr(lrs, losses):
    """(rate, rule): the rate where the level is lowest."""
    finite = [(s, i) for i, s in enumerate(losses) if math.isfinite(s)]
    return float(lrs[min(finite)[1]]), "min/10"
