# variant-of: correct
# lrlab's own range test (the function lecture 5 calls), reached by a name built at run time
# (issue 26) so that nothing forbidden is in the source, its smoothed per-batch trace handed in as
# Part 1's staircase: invisible to the static check, caught by the child's tripwire on the
# function itself (ps3's harness wires the names its checks forbid). range_test's check is voided
# (and the trace would not match the trusted re-run anyway); the others keep their points.
# %% answer: range_test_answer
def range_test(model, loader, min_lr, max_lr, num_rates, batches_per_rate):
    import importlib

    module = importlib.import_module("lrlab." + "range" + "_test")
    run = getattr(module, "range" + "_test")
    del model, loader
    result = run(start_lr=min_lr, end_lr=max_lr, num_steps=num_rates, diverge_factor=1e9)
    return result.lrs, result.smoothed
