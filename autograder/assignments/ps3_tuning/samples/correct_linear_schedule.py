# variant-of: correct
# A straight line from the peak down to 0, the peak tuned on the practice seeds (0.4 to 1.1).
# %% answer: schedule_answer
OPTIMIZER = {"name": "sgd", "momentum": 0.0}
PEAK = 0.8


def schedule(step):
    """Linear decay from PEAK to 0 at the end of the budget."""
    return PEAK * (1 - step / BUDGET_STEPS)
