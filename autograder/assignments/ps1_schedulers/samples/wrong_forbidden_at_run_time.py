# variant-of: correct
# WRONG: step_decay builds PyTorch's StepLR from a name assembled at run time, so no
# forbidden name appears in the source; the sandboxed child's tripwire finds it while step_decay runs.
# Only step_decay's check is voided.
# %% answer: step_decay_answer
def step_decay(step, base_lr, step_size, gamma):
    import importlib

    if step < 0 or step_size <= 0 or base_lr < 0 or gamma <= 0:
        raise ValueError("invalid arguments")
    schedulers = importlib.import_module("torch.optim." + "lr_" + "scheduler")
    made = getattr(schedulers, "Step" + "LR")
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    scheduler = made(optimizer, step_size=step_size, gamma=gamma)
    scheduler.last_epoch = step
    return float(scheduler._get_closed_form_lr()[0])
