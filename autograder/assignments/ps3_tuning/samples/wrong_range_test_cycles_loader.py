# variant-of: correct
# Restarts the loader with itertools.cycle: it stores the first pass's batches and replays them in
# the same order, where a new pass would shuffle the rows again — another trace.
# %% answer: range_test_answer
def range_test(model, loader, min_lr, max_lr, num_rates, batches_per_rate):
    """Staircase range test on an endless stream of the loader's batches."""
    import itertools

    saved = {name: value.detach().clone() for name, value in model.state_dict().items()}
    optimizer = torch.optim.SGD(model.parameters(), lr=min_lr)
    loss_fn = nn.CrossEntropyLoss()
    batches = itertools.cycle(loader)
    lrs, levels = [], []
    for j in range(num_rates):
        lr = min_lr * (max_lr / min_lr) ** (j / (num_rates - 1))
        for group in optimizer.param_groups:
            group["lr"] = lr
        total = 0.0
        for _ in range(batches_per_rate):
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
