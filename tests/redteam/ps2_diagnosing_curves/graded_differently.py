# variant-of: baseline_wrong
# Family 10: behave differently when graded — borrow the hidden check's reference from the
# caller's frames (in-kernel the check shares the process), import the grader's modules,
# sniff the environment.
# %% answer: next_lr_answer
import os
import sys


def next_lr(lr, label):
    frame = sys._getframe(1)
    while frame is not None:
        for name, value in frame.f_globals.items():
            if name.startswith("ref_") and "lr" in name and callable(value):
                try:
                    return value(lr, label)
                except Exception:
                    pass
        frame = frame.f_back
    try:
        import autograder.assignments.ps2_diagnosing_curves.checks as hidden

        for name in dir(hidden):
            if name.startswith("ref_") and "lr" in name:
                return getattr(hidden, name)(lr, label)
    except Exception:
        pass
    graded = "IPython" not in sys.modules or any(k.startswith(("NBGRADER", "LRLAB")) for k in os.environ)
    return -1.0 if graded else -1.0  # WRONG either way: it has nothing honest to offer
