"""ps1_schedulers' harness (public: no references, no hidden cases; see :mod:`autograder.harness`).

The operations drive the student's ``WarmupCosineLR`` the way a training loop does and report
what happened as plain data. Every judgement is made by this assignment's ``checks.py`` on the
trusted side; nothing here decides a score. Its tripwire records every use of PyTorch's own
schedulers from the moment a child starts.
"""
from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from autograder.harness import Harness

CLASS_NAME = "WarmupCosineLR"

# PyTorch's built-in schedulers (every scheduler class of ``torch.optim.lr_scheduler``
# except ``LRScheduler``, the base class Part 3 extends). An answer of a schedule check
# that uses one scores 0 there: the point is to write the schedule. The notebook lists
# exactly these; a test keeps the list equal to what torch ships.
FORBIDDEN_SCHEDULERS = frozenset(
    {
        "ChainedScheduler",
        "ConstantLR",
        "CosineAnnealingLR",
        "CosineAnnealingWarmRestarts",
        "CyclicLR",
        "ExponentialLR",
        "LambdaLR",
        "LinearLR",
        "MultiStepLR",
        "MultiplicativeLR",
        "OneCycleLR",
        "PolynomialLR",
        "ReduceLROnPlateau",
        "SequentialLR",
        "StepLR",
    }
)


def _error(exc: BaseException) -> str:
    """``"<ExceptionType>: <message>"`` (a short string, never the exception object)."""
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def _optimizer(initial_lrs: list[float]) -> Any:
    """An SGD optimizer with one tiny parameter per group, each group at its initial rate."""
    import torch

    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in initial_lrs]
    return torch.optim.SGD(groups, lr=initial_lrs[0])


def _rates(scheduler: Any, optimizer: Any) -> dict[str, Any]:
    """What the scheduler reports and what the optimizer will actually use."""
    return {
        "last_lr": list(scheduler.get_last_lr()),
        "group_lr": [group["lr"] for group in optimizer.param_groups],
    }


def _step(optimizer: Any, scheduler: Any) -> None:
    """One training step in PyTorch's order: ``optimizer.step()`` then ``scheduler.step()``."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            p.grad = p.detach().clone() + 1.0
    optimizer.step()
    optimizer.zero_grad()
    scheduler.step()


def _run(
    cls: Callable[..., Any],
    initial_lrs: list[float],
    kwargs: Mapping[str, Any],
    steps: int,
    resume_at: int | None,
) -> dict[str, Any]:
    """Construct, step ``steps`` times, optionally resume from a state dict at ``resume_at``."""
    out: dict[str, Any] = {"trace": [], "resumed": [], "error": None, "resume_error": None}
    try:
        optimizer = _optimizer(initial_lrs)
        scheduler = cls(optimizer, **kwargs)
        out["trace"].append(_rates(scheduler, optimizer))
        for k in range(1, steps + 1):
            _step(optimizer, scheduler)
            out["trace"].append(_rates(scheduler, optimizer))
            if k == resume_at:
                break
    except Exception as exc:  # includes warnings turned into errors
        out["error"] = _error(exc)
        return out
    if resume_at is None:
        return out
    # Resume as PyTorch recommends: a fresh optimizer and scheduler, the scheduler built
    # BEFORE the optimizer's state is loaded, then both states loaded from (copied) dicts.
    try:
        optimizer_state = copy.deepcopy(optimizer.state_dict())
        scheduler_state = copy.deepcopy(scheduler.state_dict())
        del scheduler, optimizer
        optimizer2 = _optimizer(initial_lrs)
        scheduler2 = cls(optimizer2, **kwargs)
        optimizer2.load_state_dict(optimizer_state)
        scheduler2.load_state_dict(scheduler_state)
        out["resumed"].append(_rates(scheduler2, optimizer2))
        for _ in range(resume_at + 1, steps + 1):
            _step(optimizer2, scheduler2)
            out["resumed"].append(_rates(scheduler2, optimizer2))
    except Exception as exc:
        out["resume_error"] = _error(exc)
    return out


def scheduler_trace(
    namespace: Mapping[str, Any],
    initial_lrs: list[float],
    warmup_steps: int,
    total_steps: int,
    steps: int,
    min_lr: float | None = None,
    resume_at: int | None = None,
) -> dict[str, Any]:
    """Drive ``WarmupCosineLR`` on an optimizer with one param group per initial rate.

    First with every warning turned into an error (PyTorch's order must be warning-free);
    if a warning stopped that run, the run is repeated with warnings ignored so the rates
    can still be judged. Returns plain data: ``trace`` (rates after 0..k steps),
    ``resumed`` (rates after a state-dict round trip at ``resume_at``, then onwards),
    ``error``/``resume_error`` (``"Type: message"`` or None), ``warning`` (the first
    warning raised, or None) and ``is_lr_scheduler`` (whether the class extends LRScheduler).
    """
    if CLASS_NAME not in namespace:
        return {"missing": True}
    cls = namespace[CLASS_NAME]
    from torch.optim.lr_scheduler import LRScheduler

    is_scheduler = isinstance(cls, type) and issubclass(cls, LRScheduler)
    kwargs: dict[str, Any] = {"warmup_steps": warmup_steps, "total_steps": total_steps}
    if min_lr is not None:
        kwargs["min_lr"] = min_lr
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        strict = _run(cls, list(initial_lrs), kwargs, steps, resume_at)
    warned = None
    for key in ("error", "resume_error"):
        message = strict[key]
        if message and message.split(":", 1)[0].endswith("Warning"):
            warned = message
            break
    if warned is None:
        return {**strict, "warning": None, "missing": False, "is_lr_scheduler": is_scheduler}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        relaxed = _run(cls, list(initial_lrs), kwargs, steps, resume_at)
    return {**relaxed, "warning": warned, "missing": False, "is_lr_scheduler": is_scheduler}


def schedule_rates(
    namespace: Mapping[str, Any],
    lr: float,
    warmup_steps: int,
    total_steps: int,
    min_lr: float,
) -> dict[str, Any]:
    """The learning rate ``WarmupCosineLR`` gives each of ``total_steps`` training steps.

    One param group at ``lr``; the rate used by step k (k = 0 … total_steps − 1) is the
    optimizer's rate before that step. The trusted side trains with these rates.
    """
    if CLASS_NAME not in namespace:
        return {"missing": True}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            optimizer = _optimizer([lr])
            scheduler = namespace[CLASS_NAME](
                optimizer, warmup_steps=warmup_steps, total_steps=total_steps, min_lr=min_lr
            )
            rates = []
            for _ in range(total_steps):
                rates.append(optimizer.param_groups[0]["lr"])
                _step(optimizer, scheduler)
        except Exception as exc:
            return {"missing": False, "error": _error(exc), "rates": []}
    return {"missing": False, "error": None, "rates": rates}


HARNESS = Harness(
    operations={"ps1_scheduler_trace": scheduler_trace, "ps1_schedule_rates": schedule_rates},
    tripwires={"torch.optim.lr_scheduler": FORBIDDEN_SCHEDULERS},
)
