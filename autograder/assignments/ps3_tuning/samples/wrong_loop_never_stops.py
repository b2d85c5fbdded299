# variant-of: correct
# Keeps refining around the best rate forever: it never returns None.
# %% answer: tuning_loop_answer
def _score(run):
    """A run's lowest validation loss; infinite for a run lrlab calls diverged."""
    if run["diverged"]:
        return math.inf
    return min(v for v in run["val_loss"] if math.isfinite(v))


def choose_lr(history):
    """The tried rate whose run reached the lowest validation loss."""
    return min(history, key=_score)["lr"]


def next_trial(history):
    """Climb by x10 from 1e-3 while the newest rate is the best; then keep trying around the best."""
    if not history:
        return 1e-3
    tried = [run["lr"] for run in history]
    best = choose_lr(history)
    if best == max(tried) and best * 10 <= MAX_LR:
        return best * 10
    factors = (10 ** 0.5, 10 ** -0.5, 10 ** 0.25, 10 ** -0.25)
    return min(max(best * factors[len(history) % 4], MIN_LR), MAX_LR)
