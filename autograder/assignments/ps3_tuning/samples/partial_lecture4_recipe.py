# variant-of: correct
# Lecture 4's recipe as it stands: a cosine from 0.4 to 0. A sensible start, but its peak was set
# for batches of 8; here it is too low and earns part of Part 2.
# %% answer: schedule_answer
OPTIMIZER = {"name": "sgd", "momentum": 0.0}


def schedule(step):
    """Cosine from 0.4 to 0 over the budget, stepped every batch (lecture 4's testbed decay)."""
    return 0.4 * (1 + math.cos(math.pi * step / BUDGET_STEPS)) / 2
