# variant-of: correct
# Judges every run by its last training loss: the rate that fits the training set best is not
# the one that generalises best (and the loop steers by the same wrong reading).
# %% answer: tuning_loop_answer
def _score(run):
    """A run's last training loss; infinite for a run lrlab calls diverged."""
    if run["diverged"]:
        return math.inf
    return run["train_loss"][-1]


def choose_lr(history):
    """The tried rate whose run ended with the lowest training loss."""
    return min(history, key=_score)["lr"]


def next_trial(history):
    """Climb by x10 from 1e-3 while the newest rate is the best; then refine around the best
    by half and quarter decades; stop when nothing near the best is left to try."""
    if not history:
        return 1e-3
    if len(history) >= MAX_TRIALS:
        return None
    tried = [run["lr"] for run in history]
    best = choose_lr(history)
    if best == max(tried) and best * 10 <= MAX_LR:
        return best * 10
    for factor in (10 ** 0.5, 10 ** -0.5, 10 ** 0.25, 10 ** -0.25):
        candidate = best * factor
        if MIN_LR <= candidate <= MAX_LR and all(abs(math.log10(candidate / t)) > 0.1 for t in tried):
            return candidate
    return None
