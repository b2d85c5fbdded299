# variant-of: correct
# The tripwire (issue 13): switch it off by putting the original scheduler functions back
# from the wrappers' closures, then build StepLR from a run-time name. The worker's probe
# notices the wire is off: every check that forbids PyTorch's schedulers is voided and the
# submission is flagged (an honest student never touches the wire, so this costs only cheaters).
# %% answer: step_decay_answer
import importlib

_schedulers = importlib.import_module("torch.optim.lr_" + "scheduler")
for _cls in vars(_schedulers).values():
    if isinstance(_cls, type):
        for _name, _fn in list(vars(_cls).items()):
            _code = getattr(_fn, "__code__", None)
            if _code is not None and "value" in _code.co_freevars:
                setattr(_cls, _name, _fn.__closure__[_code.co_freevars.index("value")].cell_contents)


def step_decay(step, base_lr, step_size, gamma):
    if step < 0 or step_size <= 0 or base_lr < 0 or gamma <= 0:
        raise ValueError("invalid arguments")
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)  # noqa: F821
    scheduler = getattr(_schedulers, "Step" + "LR")(optimizer, step_size=step_size, gamma=gamma)
    scheduler.last_epoch = step
    return float(scheduler._get_closed_form_lr()[0])
