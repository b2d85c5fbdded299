# variant-of: correct
# Families 2/3 on the applied part: claim a great accuracy, patch the training loop in the
# worker, and give a schedule of zeros (nothing can be learnt with it).
# %% answer: applied_answer
{PARENT}
APPLIED.update({"val_acc": 1.0, "accuracy": 1.0})
try:
    import lrlab.train as _t

    class _H:
        final_val_acc = 1.0
        diverged = False

    _t.train = lambda *a, **k: _H()
except Exception:
    pass
_real_get_lr = WarmupCosineLR.get_lr  # noqa: F821
WarmupCosineLR.get_lr = lambda self: [0.0 for _ in self.base_lrs]  # noqa: F821
