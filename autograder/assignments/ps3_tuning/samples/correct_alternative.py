# variant-of: correct
# A second correct style: numpy's geomspace for the ramp and a while loop; suggest_lr always a
# tenth of the minimum; the loop scans whole decades first, then refines around the best.
# %% answer: range_test_answer
def range_test(make_model, loader, min_lr, max_lr, steps, beta=0.9):
    """LR range test: (rates, bias-corrected smoothed losses) of every batch recorded."""
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=min_lr)
    rates = np.geomspace(min_lr, max_lr, steps)
    lrs, smoothed, raw = [], [], []
    batches = iter(loader)
    i = 0
    while i < steps:
        X, y = next(batches, (None, None))
        if X is None:
            batches = iter(loader)
            continue
        optimizer.param_groups[0]["lr"] = float(rates[i])
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(X), y)
        raw.append(loss.item())
        avg = 0.0
        for value in raw:
            avg = beta * avg + (1 - beta) * value
        current = avg / (1 - beta ** len(raw)) if all(math.isfinite(v) for v in raw) else math.inf
        lrs.append(float(rates[i]))
        smoothed.append(current)
        if not math.isfinite(current) or current > DIVERGE_FACTOR * min(smoothed[:-1], default=math.inf):
            break
        loss.backward()
        optimizer.step()
        i += 1
    return lrs, smoothed
# %% answer: suggest_lr_answer
def suggest_lr(lrs, losses):
    """A tenth of the rate at the lowest smoothed loss."""
    finite = [i for i in range(len(losses)) if math.isfinite(losses[i])]
    m = min(finite, key=lambda i: (losses[i], i))
    return float(lrs[m]) / 10, "min/10"
# %% answer: tuning_loop_answer
def _best_val(run):
    values = np.asarray(run["train_loss"] + run["val_loss"], dtype=float)
    return float(np.min(run["val_loss"])) if np.all(np.isfinite(values)) else math.inf


def choose_lr(history):
    """The rate with the lowest best validation loss."""
    return min(history, key=_best_val)["lr"]


def next_trial(history):
    """Decades 1e-3 … 1 (up to the first blow-up), then half and quarter decades around the best."""
    if len(history) >= MAX_TRIALS:
        return None
    tried = [run["lr"] for run in history]
    new = lambda lr: MIN_LR <= lr <= MAX_LR and all(abs(math.log10(lr / t)) > 0.1 for t in tried)  # noqa: E731
    blown = any(_best_val(run) == math.inf for run in history)
    for lr in (1e-3, 1e-2, 1e-1, 1.0):
        if not blown and new(lr) and (not tried or lr > max(tried)):
            return lr
    best = choose_lr(history)
    for step in (0.5, 0.25):
        for lr in (best * 10 ** step, best / 10 ** step):
            if new(lr):
                return lr
    return None
