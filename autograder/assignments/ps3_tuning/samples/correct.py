# %% answer: range_test_answer
def range_test(model, loader, min_lr, max_lr, num_rates, batches_per_rate):
    """The staircase range test from the model's current weights, which it gives back:
    (rates, mean loss of the batches trained at each rate)."""
    saved = {name: value.detach().clone() for name, value in model.state_dict().items()}
    optimizer = torch.optim.SGD(model.parameters(), lr=min_lr)
    loss_fn = nn.CrossEntropyLoss()
    batches = iter(loader)
    lrs, levels = [], []
    model.train()
    for j in range(num_rates):
        lr = min_lr * (max_lr / min_lr) ** (j / (num_rates - 1))
        for group in optimizer.param_groups:
            group["lr"] = lr
        total = 0.0
        for _ in range(batches_per_rate):
            try:
                X, y = next(batches)
            except StopIteration:  # a new pass over the training rows (reshuffled)
                batches = iter(loader)
                X, y = next(batches)
            optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            total += loss.item()
            loss.backward()
            optimizer.step()
        level = total / batches_per_rate
        lowest = min(levels, default=math.inf)
        lrs.append(lr)
        levels.append(level if math.isfinite(level) else math.inf)
        if not math.isfinite(level) or level > DIVERGE_FACTOR * lowest:
            break
    model.load_state_dict(saved)
    return lrs, levels
# %% answer: suggest_lr_answer
def _lowest(losses):
    """Index of the lowest finite level (the first one, if several are equal)."""
    return min((s, i) for i, s in enumerate(losses) if math.isfinite(s))[1]


def _steepest(lrs, losses):
    """The rate where the level falls fastest per decade of rate, before its minimum."""
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
PEAK = 0.8  # four times the best constant rate of the practice seeds (0.2)
WARMUP = 56  # steps of linear warm-up: a tenth of the budget


def schedule(step):
    """A linear warm-up to PEAK over WARMUP steps, then a cosine down to 0 at the end of the budget."""
    if step < WARMUP:
        return PEAK * (step + 1) / WARMUP
    progress = (step - WARMUP) / (BUDGET_STEPS - WARMUP)
    return PEAK * (1 + math.cos(math.pi * progress)) / 2
# %% answer: tuning_loop_answer
def _score(run):
    """A run's lowest validation loss; infinite for a run lrlab calls diverged."""
    if run["diverged"]:
        return math.inf
    return min(v for v in run["val_loss"] if math.isfinite(v))


def choose_lr(history):
    """The tried rate whose run reached the lowest validation loss (the first of a tie)."""
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
