# variant-of: correct
# A trace that lies: no training at all, a textbook-shaped staircase (flat, a fast fall, a blow-up)
# over the right rates, and the same trace on every call. The grader re-runs the test itself.
# %% answer: range_test_answer
def range_test(model, loader, min_lr, max_lr, num_rates, batches_per_rate):
    """A perfect-looking range test, made up."""
    lrs = [min_lr * (max_lr / min_lr) ** (j / (num_rates - 1)) for j in range(num_rates)]
    losses = [2.3 - 2.0 / (1 + math.exp(-3 * (math.log10(lr) + 2))) + 10 * max(0.0, math.log10(lr)) ** 2 for lr in lrs]
    for i, loss in enumerate(losses):
        if i and loss > DIVERGE_FACTOR * min(losses[:i]):
            return lrs[:i + 1], losses[:i + 1]
    return lrs, losses
