# variant-of: correct
# suggest_lr reads the trace through lrlab's own result class, built from a name assembled at run
# time (lecture 5's RangeTestResult once carried the suggestion rules). The rule itself is right,
# but the tripwire sees lrlab.range_test's class run from this answer: the check is voided.
# %% answer: suggest_lr_answer
def suggest_lr(lrs, losses):
    import importlib

    module = importlib.import_module("lrlab." + "range" + "_test")
    result = getattr(module, "RangeTest" + "Result")(list(lrs), list(losses), list(losses), False)
    finite = [i for i, s in enumerate(result.smoothed) if math.isfinite(s)]
    m = min(finite, key=lambda i: (result.smoothed[i], i))
    return float(result.lrs[m]) / 10, "min/10"
