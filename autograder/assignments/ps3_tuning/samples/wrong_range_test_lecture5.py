# variant-of: correct
# Lecture 5's range test rewritten by hand: one batch per rate, the losses smoothed by a moving
# average, num_rates x batches_per_rate rates. Careful work, but not the test Part 1 specifies.
# %% answer: range_test_answer
def range_test(model, loader, min_lr, max_lr, num_rates, batches_per_rate, beta=0.9):
    """fastai-style range test: one batch per rate, bias-corrected moving average of the losses."""
    saved = {name: value.detach().clone() for name, value in model.state_dict().items()}
    steps = num_rates * batches_per_rate
    optimizer = torch.optim.SGD(model.parameters(), lr=min_lr)
    loss_fn = nn.CrossEntropyLoss()
    batches = iter(loader)
    lrs, smoothed, avg, lowest = [], [], 0.0, math.inf
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
        avg = beta * avg + (1 - beta) * loss.item()
        current = avg / (1 - beta ** (i + 1))
        lrs.append(lr)
        smoothed.append(current if math.isfinite(current) else math.inf)
        if not math.isfinite(current) or current > DIVERGE_FACTOR * lowest:
            break
        lowest = min(lowest, current)
        loss.backward()
        optimizer.step()
    model.load_state_dict(saved)
    return lrs, smoothed
