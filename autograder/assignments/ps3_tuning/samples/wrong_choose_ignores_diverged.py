# variant-of: correct
# Trusts the curves alone: a run counts as blown up only when a loss is nan or inf. Runs lrlab
# calls diverged with finite curves (a loss that passed 100 and came back down, sometimes to a
# validation loss of 0) then look like the best.
# %% answer: tuning_loop_answer
def _score(run):
    """A run's lowest validation loss; infinite when any loss is nan or inf."""
    if not all(math.isfinite(v) for v in list(run["train_loss"]) + list(run["val_loss"])):
        return math.inf
    return min(run["val_loss"])


def choose_lr(history):
    """The tried rate whose run reached the lowest validation loss."""
    return min(history, key=_score)["lr"]


def next_trial(history):
    """Climb by x10 from 1e-3 while the newest rate is the best; then refine around the best."""
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
