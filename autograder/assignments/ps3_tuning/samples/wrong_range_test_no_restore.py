# variant-of: correct
# Trains the model it is given and leaves it trained: a second range test on the same model starts
# from the weights the first one wrecked at its highest rates, so it is not a range test of the
# problem any more.
# %% answer: range_test_answer
def range_test(model, loader, min_lr, max_lr, num_rates, batches_per_rate):
    """Staircase range test: (rates, mean batch loss at each rate)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=min_lr)
    loss_fn = nn.CrossEntropyLoss()
    batches = iter(loader)
    lrs, levels = [], []
    for j in range(num_rates):
        lr = min_lr * (max_lr / min_lr) ** (j / (num_rates - 1))
        for group in optimizer.param_groups:
            group["lr"] = lr
        total = 0.0
        for _ in range(batches_per_rate):
            try:
                X, y = next(batches)
            except StopIteration:
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
    return lrs, levels
