# variant-of: correct
# A range test built on lrlab's private helpers (its exponential ramp and moving average), reached
# at run time. They are functions, not the result class, so no tripwire fires — and they gain
# nothing: they make lecture 5's smoothed per-batch trace, not Part 1's staircase of means.
# %% answer: range_test_answer
def range_test(model, loader, min_lr, max_lr, num_rates, batches_per_rate):
    import importlib

    module = importlib.import_module("lrlab." + "range" + "_test")
    ramp, smooth = getattr(module, "_" + "ramp"), getattr(module, "_" + "smooth")
    saved = {name: value.detach().clone() for name, value in model.state_dict().items()}
    optimizer = torch.optim.SGD(model.parameters(), lr=min_lr)
    loss_fn = nn.CrossEntropyLoss()
    batches, losses = iter(loader), []
    rates = ramp(min_lr, max_lr, num_rates)
    for lr in rates:
        for group in optimizer.param_groups:
            group["lr"] = lr
        try:
            X, y = next(batches)
        except StopIteration:
            batches = iter(loader)
            X, y = next(batches)
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    model.load_state_dict(saved)
    return rates, smooth(losses)
