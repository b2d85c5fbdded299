# variant-of: correct
# lrlab's own range test, reached by a name built at run time (issue 26): invisible to the
# static check, caught by the child's tripwire on lrlab.range_test (ps3's harness wires the
# names its checks forbid). range_test's check is voided; the others keep their points.
# %% answer: range_test_answer
import importlib


def range_test(make_model, loader, min_lr, max_lr, steps, beta=0.9):
    run = getattr(importlib.import_module("lrlab." + "range_" + "test"), "lr_" + "range_" + "test")
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=min_lr)  # noqa: F821
    result = run(model, optimizer, loader, start_lr=min_lr, end_lr=max_lr, num_steps=steps, beta=beta,
                 diverge_factor=DIVERGE_FACTOR)  # noqa: F821
    return result.lrs, result.smoothed
