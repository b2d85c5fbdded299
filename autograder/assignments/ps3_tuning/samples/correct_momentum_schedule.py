# variant-of: correct
# Momentum 0.9 multiplies every step by about 1 / (1 - 0.9) = 10, so the rates are a tenth of plain
# SGD's: a warm-up over a tenth of the budget to 0.08, then a cosine to 0 (0.056 and 0.08 tried
# on the practice seeds).
# %% answer: schedule_answer
OPTIMIZER = {"name": "sgd", "momentum": 0.9}
PEAK = 0.08
WARMUP = round(0.1 * BUDGET_STEPS)


def schedule(step):
    """Linear warm-up to PEAK, then a cosine to 0."""
    if step < WARMUP:
        return PEAK * (step + 1) / WARMUP
    return PEAK * (1 + math.cos(math.pi * (step - WARMUP) / (BUDGET_STEPS - WARMUP))) / 2
