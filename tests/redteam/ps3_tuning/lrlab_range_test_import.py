# variant-of: correct
# Imports lrlab's own range test into the answer (written in the source: voided before anything
# runs, and only range_test's check).
# %% answer: range_test_answer
def range_test(model, loader, min_lr, max_lr, num_rates, batches_per_rate):
    from lrlab.range_test import range_test as lecture5

    del model, loader
    result = lecture5(start_lr=min_lr, end_lr=max_lr, num_steps=num_rates)
    return result.lrs, result.smoothed
