"""Trace what a PyTorch learning-rate scheduler does, without training anything."""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

#: The course's one warm-up: the rate rises linearly from this fraction of the peak (step 0) to
#: the peak (step ``warmup_steps``), as ``LinearLR(optimizer, start_factor=WARMUP_START_FACTOR,
#: total_iters=warmup_steps)`` does. Pass it to ``LinearLR``: its default, 1/3, is a milder
#: warm-up, and it cannot start at 0 (a step at rate 0 would change nothing anyway).
WARMUP_START_FACTOR = 0.1


def trace_schedule(
    make_scheduler: Callable[[Optimizer], LRScheduler], steps: int, lr: float = 1.0
) -> list[float]:
    """The rate a scheduler hands out at each of ``steps`` steps, starting from ``lr``.

    A throw-away SGD optimizer on one parameter is stepped in PyTorch's required order,
    ``optimizer.step()`` then ``scheduler.step()``, so no warning is raised and entry ``i``
    is the rate used by step ``i`` (entry 0 is the initial rate). ``ReduceLROnPlateau``
    needs a validation loss and cannot be traced here: read ``History.lr`` of a run instead.
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(steps):
        rates.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()
        scheduler.step()
    return rates
