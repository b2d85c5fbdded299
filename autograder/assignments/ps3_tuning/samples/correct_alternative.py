# variant-of: correct
# A second correct style: numpy's geomspace for the ramp, the weights put back with copy_, a
# generator over the loader's passes; suggest_lr always a tenth of the minimum; a one-cycle
# schedule (tuned on the practice seeds); the loop scans whole decades first, then refines
# around the best.
# %% answer: range_test_answer
def _passes(loader):
    """The loader's batches, pass after pass (each pass a fresh, reshuffled iteration)."""
    while True:
        yield from loader


def range_test(model, loader, min_lr, max_lr, num_rates, batches_per_rate):
    """Staircase range test: (rates, mean batch loss at each rate); the weights are put back."""
    saved = [p.detach().clone() for p in model.parameters()]
    optimizer = torch.optim.SGD(model.parameters(), lr=min_lr)
    batches = _passes(loader)
    lrs, levels = [], []
    for lr in np.geomspace(min_lr, max_lr, num_rates):
        optimizer.param_groups[0]["lr"] = float(lr)
        losses = []
        for _ in range(batches_per_rate):
            X, y = next(batches)
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(X), y)
            losses.append(loss.item())
            loss.backward()
            optimizer.step()
        level = float(np.mean(losses))
        lrs.append(float(lr))
        levels.append(level if math.isfinite(level) else math.inf)
        if not math.isfinite(level) or (len(levels) > 1 and level > DIVERGE_FACTOR * min(levels[:-1])):
            break
    with torch.no_grad():
        for p, value in zip(model.parameters(), saved):
            p.copy_(value)
    return lrs, levels
# %% answer: suggest_lr_answer
def suggest_lr(lrs, losses):
    """A tenth of the rate at the lowest loss."""
    finite = [i for i in range(len(losses)) if math.isfinite(losses[i])]
    m = min(finite, key=lambda i: (losses[i], i))
    return float(lrs[m]) / 10, "min/10"
# %% answer: schedule_answer
OPTIMIZER = {"name": "sgd", "momentum": 0.0}
PEAK = 0.56
UP = round(0.3 * BUDGET_STEPS)  # steps of the climb


def schedule(step):
    """One-cycle: a cosine up from PEAK/25 to PEAK over 30 % of the budget, then down to PEAK/25e4."""
    low, end = PEAK / 25, PEAK / 25 / 1e4
    if step < UP:
        return low + (PEAK - low) * (1 - math.cos(math.pi * step / UP)) / 2
    return end + (PEAK - end) * (1 + math.cos(math.pi * (step - UP) / (BUDGET_STEPS - UP))) / 2
# %% answer: tuning_loop_answer
def _best_val(run):
    return math.inf if run["diverged"] else float(np.nanmin(run["val_loss"]))


def choose_lr(history):
    """The rate with the lowest validation loss among the runs that did not diverge."""
    return min(history, key=_best_val)["lr"]


def next_trial(history):
    """Decades 1e-3 … 1 (up to the first blow-up), then half and quarter decades around the best."""
    if len(history) >= MAX_TRIALS:
        return None
    tried = [run["lr"] for run in history]
    new = lambda lr: MIN_LR <= lr <= MAX_LR and all(abs(math.log10(lr / t)) > 0.1 for t in tried)  # noqa: E731
    blown = any(run["diverged"] for run in history)
    for lr in (1e-3, 1e-2, 1e-1, 1.0):
        if not blown and new(lr) and (not tried or lr > max(tried)):
            return lr
    best = choose_lr(history)
    for step in (0.5, 0.25):
        for lr in (best * 10 ** step, best / 10 ** step):
            if new(lr):
                return lr
    return None
