# variant-of: correct
# A step schedule, tuned on the practice seeds only (peaks 0.56, 0.7, 0.8 x three ways of
# stepping down; the lowest practice mean won): 0.7, divided by 4 at a third, at two thirds and at
# nine tenths of the budget.
# %% answer: schedule_answer
OPTIMIZER = {"name": "sgd", "momentum": 0.0}
PEAK = 0.7
MILESTONES = (BUDGET_STEPS / 3, 2 * BUDGET_STEPS / 3, 0.9 * BUDGET_STEPS)


def schedule(step):
    """PEAK, divided by 4 at every milestone passed."""
    return PEAK * 0.25 ** sum(step >= m for m in MILESTONES)
