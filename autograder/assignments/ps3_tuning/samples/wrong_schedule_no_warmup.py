# variant-of: correct
# Starts at a high peak at once and decays from there: without a warm-up the first steps at the
# full rate throw the run off, and the decay comes too late to save it.
# %% answer: schedule_answer
OPTIMIZER = {"name": "sgd", "momentum": 0.0}
PEAK = 2.0  # the range test's minimum: "the larger the better, the decay will calm it down"


def schedule(step):
    """Cosine decay from PEAK to 0 over the budget."""
    return PEAK * (1 + math.cos(math.pi * step / BUDGET_STEPS)) / 2
