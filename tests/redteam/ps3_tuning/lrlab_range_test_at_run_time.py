# variant-of: correct
# Part 1 answered with lrlab's own range test (lecture 5's), reached through names built at run
# time so that nothing forbidden is in the source, its per-batch trace averaged into a staircase.
# The child's tripwire sees lrlab's test build its result from this answer: the check is voided.
# %% answer: range_test_answer
def range_test(model, loader, min_lr, max_lr, num_rates, batches_per_rate):
    import importlib

    module = importlib.import_module("lrlab." + "range" + "_test")
    run = getattr(module, "_" + "run")
    saved = {name: value.detach().clone() for name, value in model.state_dict().items()}
    optimizer = torch.optim.SGD(model.parameters(), lr=min_lr)
    result = run(model, optimizer, loader, min_lr, max_lr, num_rates * batches_per_rate, diverge_factor=1e9)
    model.load_state_dict(saved)
    lrs = [min_lr * (max_lr / min_lr) ** (j / (num_rates - 1)) for j in range(num_rates)]
    levels = [sum(result.losses[j * batches_per_rate:(j + 1) * batches_per_rate]) / batches_per_rate
              for j in range(len(result.losses) // batches_per_rate)]
    return lrs[:len(levels)], levels
