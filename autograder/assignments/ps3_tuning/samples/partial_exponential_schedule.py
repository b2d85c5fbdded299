# variant-of: correct
# An exponential decay from 1.6 to a hundredth of it, tuned on the practice seeds (peaks 0.56 to
# 2.2, ends at 1/100, 1/300, 1/1000): honest and close, just short of the target on the held-out
# seeds (near-full marks for Part 2).
# %% answer: schedule_answer
OPTIMIZER = {"name": "sgd", "momentum": 0.0}
PEAK, END = 1.6, 0.01


def schedule(step):
    """PEAK shrinking by a constant factor per step, to PEAK * END at the end of the budget."""
    return PEAK * END ** (step / BUDGET_STEPS)
