# variant-of: correct
# The demo class's partial submission: the range test is right; suggest_lr takes the minimum
# itself and calls it "steepest"; the schedule is the best constant rate of the practice seeds
# (no better than the constant it is measured against); the loop climbs and refines but never
# stops by itself.
# %% answer: suggest_lr_answer
def suggest_lr(lrs, losses):
    """The rate where the level is lowest (the steepest fall is too noisy)."""
    finite = [(s, i) for i, s in enumerate(losses) if math.isfinite(s)]
    return float(lrs[min(finite)[1]]), "steepest"
# %% answer: schedule_answer
OPTIMIZER = {"name": "sgd", "momentum": 0.0}


def schedule(step):
    """The best constant rate of the grid on the practice seeds: no warm-up, no decay."""
    return 0.2
# %% answer: tuning_loop_answer
def _score(run):
    return math.inf if run["diverged"] else min(run["val_loss"])


def choose_lr(history):
    return min(history, key=_score)["lr"]


def next_trial(history):
    """x3 from 1e-3 while it helps, then around the best; it never says it is done."""
    if not history:
        return 1e-3
    best = choose_lr(history)
    if best == history[-1]["lr"] and best * 3 <= MAX_LR:
        return best * 3
    return best * (10 ** 0.25 if len(history) % 2 else 10 ** -0.25)
