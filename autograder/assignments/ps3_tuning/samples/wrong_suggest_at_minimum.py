# variant-of: correct
# Suggests the rate at the loss minimum itself: already on the edge of too high.
# %% answer: suggest_lr_answer
def suggest_lr(lrs, losses):
    """(rate, rule): the rate where the smoothed loss is lowest."""
    finite = [(s, i) for i, s in enumerate(losses) if math.isfinite(s)]
    return float(lrs[min(finite)[1]]), "min/10"
