# variant-of: correct
# "The bottom of the range test is the peak": a cosine from 2.2, four times too high for this
# problem. Its rate stays above 0.8 for more than half of the budget, so the run spends it on a
# high noise floor, and the decay comes too late to bring the loss down.
# %% answer: schedule_answer
OPTIMIZER = {"name": "sgd", "momentum": 0.0}
PEAK = 2.2


def schedule(step):
    """Cosine decay from PEAK to 0 over the budget."""
    return PEAK * (1 + math.cos(math.pi * step / BUDGET_STEPS)) / 2
