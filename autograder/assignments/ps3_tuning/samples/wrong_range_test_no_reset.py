# variant-of: correct
# Builds the model once and keeps it: a second range test starts from the weights the first one
# trained (and blew up), so it is not a range test of the problem any more.
# %% answer: range_test_answer
_model = None


def range_test(make_model, loader, min_lr, max_lr, steps, beta=0.9):
    """An LR range test: (rates, smoothed losses), one entry per batch trained."""
    global _model
    if _model is None:  # building the model is slow: do it once
        _model = make_model()
    model = _model
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
        except StopIteration:
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
