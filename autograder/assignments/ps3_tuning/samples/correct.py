# %% answer: range_test_answer
def range_test(make_model, loader, min_lr, max_lr, steps, beta=0.9):
    """An LR range test on a fresh model: (rates, smoothed losses), one entry per batch trained."""
    model = make_model()  # a fresh model every time: never one an earlier test has trained
    optimizer = torch.optim.SGD(model.parameters(), lr=min_lr)
    loss_fn = nn.CrossEntropyLoss()
    lrs, smoothed = [], []
    avg, lowest = 0.0, math.inf
    batches = iter(loader)
    model.train()
    for i in range(steps):
        lr = min_lr * (max_lr / min_lr) ** (i / (steps - 1))
        try:
            X, y = next(batches)
        except StopIteration:  # fewer batches than steps: start the loader again
            batches = iter(loader)
            X, y = next(batches)
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        value = loss.item()
        if math.isfinite(value) and math.isfinite(avg):
            avg = beta * avg + (1 - beta) * value
            current = avg / (1 - beta ** (i + 1))
        else:
            avg = current = math.inf
        lrs.append(lr)
        smoothed.append(current)
        if not math.isfinite(current) or current > DIVERGE_FACTOR * lowest:
            break
        lowest = min(lowest, current)
        loss.backward()
        optimizer.step()
    return lrs, smoothed
# %% answer: suggest_lr_answer
def _lowest(losses):
    """Index of the lowest finite smoothed loss (the first one, if several are equal)."""
    return min((s, i) for i, s in enumerate(losses) if math.isfinite(s))[1]


def _steepest(lrs, losses):
    """The rate where the loss falls fastest per decade of rate, before its minimum."""
    m = _lowest(losses)
    if m < 1:
        return lrs[0]
    slopes = [(losses[i + 1] - losses[i]) / (math.log10(lrs[i + 1]) - math.log10(lrs[i])) for i in range(m)]
    return lrs[min(range(m), key=lambda i: slopes[i])]


def suggest_lr(lrs, losses):
    """(rate, rule): a tenth of the rate at the minimum, unless the steepest fall is lower."""
    lrs, losses = [float(x) for x in lrs], [float(x) for x in losses]
    min_over_10 = lrs[_lowest(losses)] / 10
    steepest = _steepest(lrs, losses)
    if steepest < min_over_10:
        return steepest, "steepest"
    return min_over_10, "min/10"
# %% answer: schedule_answer
OPTIMIZER = {"name": "sgd", "momentum": 0.0}
PEAK = 1.0  # four times the best constant rate: safe only because it is reached gently and left soon
WARMUP = 5  # steps of linear warm-up


def schedule(step):
    """Linear warm-up to PEAK over WARMUP steps, then cosine decay to 0 at the end of the budget."""
    if step < WARMUP:
        return PEAK * (step + 1) / WARMUP
    progress = (step - WARMUP) / (BUDGET_STEPS - WARMUP)
    return PEAK * (1 + math.cos(math.pi * progress)) / 2
# %% answer: tuning_loop_answer
def _score(run):
    """A run's best validation loss; infinite when any loss blew up (nan or inf)."""
    if not all(math.isfinite(v) for v in list(run["train_loss"]) + list(run["val_loss"])):
        return math.inf
    return min(run["val_loss"])


def choose_lr(history):
    """The tried rate whose run reached the lowest validation loss."""
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
