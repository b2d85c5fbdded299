# variant-of: correct
# "The loop ends near the best, so the last rate tried is the answer": choose_lr returns the
# newest rate, whatever its curves say. The loop itself still finds the best region.
# %% answer: tuning_loop_answer
def _score(run):
    return math.inf if run["diverged"] else min(v for v in run["val_loss"] if math.isfinite(v))


def _best(history):
    return min(history, key=_score)["lr"]


def choose_lr(history):
    """The rate tried last."""
    return history[-1]["lr"]


def next_trial(history):
    """Climb by x10 from 1e-3 while the newest rate is the best; then refine around the best."""
    if not history:
        return 1e-3
    if len(history) >= MAX_TRIALS:
        return None
    tried = [run["lr"] for run in history]
    best = _best(history)
    if best == max(tried) and best * 10 <= MAX_LR:
        return best * 10
    for factor in (10 ** 0.5, 10 ** -0.5, 10 ** 0.25, 10 ** -0.25):
        candidate = best * factor
        if MIN_LR <= candidate <= MAX_LR and all(abs(math.log10(candidate / t)) > 0.1 for t in tried):
            return candidate
    return None
