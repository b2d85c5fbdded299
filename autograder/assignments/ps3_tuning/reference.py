"""Part 1's trusted references (instructor-only, never shipped): the range test the notebook
specifies and the two rules that read a rate off its trace.

The notebook's range test is not lecture 5's (``lrlab.range_test``, fastai's per-batch
moving average from a fresh model). It is the **staircase** variant: every rate of an
exponential ramp is held for ``batches_per_rate`` consecutive mini-batches and the trace
records the mean loss of those batches (averaging instead of smoothing), starting from the
model's current weights, which it gives back afterwards (as fastai's ``lr_find`` does). The
grader re-runs it here on the model and loader the harness builds
(:func:`autograder.assignments.ps3_tuning.harness.problem_parts`), and ``make_data.py`` records
the held-out traces with it.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

import lrlab  # noqa: F401  (pins PyTorch's CPU numerics before anything computes)

#: The notebook's stopping rule: a level above this many times the lowest one so far.
DIVERGE_FACTOR = 4.0
#: The rules ``suggest_lr`` may name.
RULES = ("min/10", "steepest")


def ramp(min_lr: float, max_lr: float, num_rates: int) -> list[float]:
    """``num_rates`` rates from ``min_lr`` to ``max_lr``, a constant factor apart."""
    ratio = max_lr / min_lr
    return [min_lr * ratio ** (j / (num_rates - 1)) for j in range(num_rates)]


def _batches(loader: Iterable[Any]) -> Iterator[Any]:
    """The loader's batches pass after pass, each pass a fresh ``iter(loader)`` (reshuffled)."""
    while True:
        yield from iter(loader)


def staircase(model: Any, optimizer: Any, loader: Iterable[Any], min_lr: float, max_lr: float, num_rates: int,
              batches_per_rate: int, diverge_factor: float = DIVERGE_FACTOR) -> tuple[list[float], list[float]]:
    """The staircase range test with a given optimizer: (rates, mean batch loss at each rate).

    Stops after recording a level that is not finite (recorded as ``inf``) or above
    ``diverge_factor`` times the lowest level before it. The model's weights are put back.
    """
    import torch
    from torch import nn

    saved = {name: value.detach().clone() for name, value in model.state_dict().items()}
    loss_fn = nn.CrossEntropyLoss()
    batches = _batches(loader)
    lrs: list[float] = []
    levels: list[float] = []
    try:
        with torch.enable_grad():
            for lr in ramp(min_lr, max_lr, num_rates):
                for group in optimizer.param_groups:
                    group["lr"] = lr
                total = 0.0
                for _ in range(batches_per_rate):
                    X, y = next(batches)
                    optimizer.zero_grad()
                    batch_loss = loss_fn(model(X), y)
                    total += batch_loss.item()
                    batch_loss.backward()
                    optimizer.step()
                level = total / batches_per_rate
                lowest = min(levels, default=math.inf)
                lrs.append(lr)
                levels.append(level if math.isfinite(level) else math.inf)
                if not math.isfinite(level) or level > diverge_factor * lowest:
                    break
    finally:
        model.load_state_dict(saved)
    return lrs, levels


def range_test(model: Any, loader: Iterable[Any], min_lr: float, max_lr: float, num_rates: int,
               batches_per_rate: int) -> tuple[list[float], list[float]]:
    """The notebook's ``range_test``: the staircase with plain SGD."""
    import torch

    return staircase(model, torch.optim.SGD(model.parameters(), lr=min_lr), loader, min_lr, max_lr, num_rates,
                     batches_per_rate)


def lowest_index(losses: list[float]) -> int:
    """Index of the lowest finite loss (the first one if several are equal)."""
    return min((loss, i) for i, loss in enumerate(losses) if math.isfinite(loss))[1]


def rule_rate(rule: str, lrs: list[float], losses: list[float]) -> float:
    """The rate a named rule picks from a trace (the notebook's definitions)."""
    m = lowest_index(losses)
    if rule == "min/10":
        return lrs[m] / 10
    if rule != "steepest":
        raise ValueError(f"unknown rule {rule!r}")
    if m < 1:
        return lrs[0]
    slopes = [(losses[i + 1] - losses[i]) / (math.log10(lrs[i + 1]) - math.log10(lrs[i])) for i in range(m)]
    return lrs[min(range(m), key=slopes.__getitem__)]
