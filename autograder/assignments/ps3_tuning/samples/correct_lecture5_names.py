# variant-of: correct
# Names borrowed from lecture 5 for the student's own variables and helpers (suggested_lr,
# steepest_lr, lr_at_min_loss, a local RangeTestResult): none of them uses lrlab's range test,
# so nothing is voided.
# %% answer: suggest_lr_answer
RangeTestResult = tuple  # a name, nothing of lrlab's


def steepest_lr(lrs, losses, m):
    """Lecture 5's reading: where the level falls fastest per decade, before the minimum."""
    if m < 1:
        return lrs[0]
    slopes = [(losses[i + 1] - losses[i]) / (math.log10(lrs[i + 1]) - math.log10(lrs[i])) for i in range(m)]
    return lrs[min(range(m), key=lambda i: slopes[i])]


def suggest_lr(lrs, losses):
    """(rate, rule): a tenth of the rate at the minimum, unless the steepest fall is lower."""
    trace = RangeTestResult((float(x), float(s)) for x, s in zip(lrs, losses))
    lrs, losses = [x for x, _ in trace], [s for _, s in trace]
    m = min((s, i) for i, s in enumerate(losses) if math.isfinite(s))[1]
    lr_at_min_loss = lrs[m]
    suggested_lr = lr_at_min_loss / 10
    steepest = steepest_lr(lrs, losses, m)
    return (steepest, "steepest") if steepest < suggested_lr else (suggested_lr, "min/10")
