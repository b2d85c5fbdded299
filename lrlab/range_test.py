"""The learning-rate range test, in the form fast.ai's ``lr_find`` made common (lecture 5).

Smith (2017, "Cyclical Learning Rates for Training Neural Networks", section 3.3) proposed the
range test: train for a few epochs while the rate rises *linearly* from a low to a high value and
read off where the accuracy starts to rise and where it stops rising or turns ragged. The variant
run here is the one fast.ai's ``lr_find`` popularised (Gugger 2017; the fastai library): train
for about a hundred mini-batches while the rate grows *exponentially* from tiny to huge, record
the loss of every batch, smooth it, and stop once the smoothed loss exceeds four times its lowest
value. The loss first barely moves (rate too low), then falls fast (good rates), then turns and
explodes (too high). Reading a rate off the curve is left to the reader (lecture 5 shows how).

Example:
    >>> # xdoctest: +SKIP
    >>> result = range_test(start_lr=1e-4, end_lr=10.0, num_steps=120)
    >>> result.lrs, result.smoothed  # the rate of every batch and its smoothed loss
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.optim import Optimizer
from torch.utils.data import DataLoader

from lrlab.data import Split, load_split, make_loaders
from lrlab.models import mlp
from lrlab.seed import seed_everything
from lrlab.train import make_optimizer


@dataclass
class RangeTestResult:
    """What a range test saw: one entry per mini-batch actually trained.

    ``lrs[i]`` is the rate used for batch ``i``, ``losses[i]`` that batch's loss before the
    update and ``smoothed[i]`` its bias-corrected exponential moving average. ``stopped_early``
    is True when the test ended on divergence before reaching ``end_lr``.
    """

    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    stopped_early: bool


def _ramp(start_lr: float, end_lr: float, num_steps: int) -> list[float]:
    """``num_steps`` rates growing by a constant factor from ``start_lr`` to ``end_lr``."""
    if not (math.isfinite(start_lr) and math.isfinite(end_lr) and 0 < start_lr < end_lr):
        raise ValueError(f"need 0 < start_lr < end_lr, got {start_lr} and {end_lr}")
    if num_steps < 2:
        raise ValueError(f"num_steps must be >= 2, got {num_steps}")
    ratio = end_lr / start_lr
    return [start_lr * ratio ** (i / (num_steps - 1)) for i in range(num_steps)]


def _smooth(losses: list[float], beta: float = 0.9) -> list[float]:
    """Bias-corrected exponential moving average: ``avg = beta*avg + (1-beta)*loss``.

    The correction ``avg / (1 - beta**(i+1))`` stops the first values from being pulled
    towards zero. Once a loss is non-finite, it and every later value are ``inf``.
    """
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"beta must be in [0, 1), got {beta}")
    out: list[float] = []
    avg = 0.0
    for i, loss in enumerate(losses):
        if not math.isfinite(loss) or (out and not math.isfinite(out[-1])):
            out.append(math.inf)
            continue
        avg = beta * avg + (1.0 - beta) * loss
        out.append(avg / (1.0 - beta ** (i + 1)))
    return out


def _run(
    model: nn.Module,
    optimizer: Optimizer,
    train_loader: DataLoader,
    start_lr: float = 1e-4,
    end_lr: float = 10.0,
    num_steps: int = 100,
    beta: float = 0.9,
    diverge_factor: float = 4.0,
) -> RangeTestResult:
    """Run the range test on ``model`` in place (it is trained, so use a fresh copy).

    Every mini-batch uses the next rate of :func:`_ramp`; the loader is cycled
    if it has fewer than ``num_steps`` batches. The test stops early once the loss is not
    finite or the smoothed loss exceeds ``diverge_factor`` times its lowest value so far.
    """
    if diverge_factor <= 1.0:
        raise ValueError(f"diverge_factor must be > 1, got {diverge_factor}")
    rates = _ramp(start_lr, end_lr, num_steps)
    loss_fn = nn.CrossEntropyLoss()
    lrs: list[float] = []
    losses: list[float] = []
    best = math.inf
    stopped = False
    batches = iter(train_loader)
    model.train()
    for lr in rates:
        try:
            X, y = next(batches)
        except StopIteration:
            batches = iter(train_loader)
            X, y = next(batches)
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        lrs.append(lr)
        losses.append(float(loss.item()))
        current = _smooth(losses, beta)[-1]
        if not math.isfinite(current) or current > diverge_factor * best:
            stopped = True
            break
        best = min(best, current)
        loss.backward()
        optimizer.step()
    return RangeTestResult(lrs=lrs, losses=losses, smoothed=_smooth(losses, beta), stopped_early=stopped)


def range_test(
    *,
    dataset: str = "digits",
    hidden: tuple[int, ...] = (64,),
    optimizer: str = "sgd",
    momentum: float = 0.0,
    batch_size: int = 64,
    seed: int = 0,
    n_train: int | None = None,
    split: Split | None = None,
    start_lr: float = 1e-4,
    end_lr: float = 10.0,
    num_steps: int = 100,
    beta: float = 0.9,
    diverge_factor: float = 4.0,
) -> RangeTestResult:
    """A seeded range test in one call, on the same data and model that :func:`lrlab.run` builds."""
    seed_everything(seed)
    split = split if split is not None else load_split(dataset, seed=seed, n_train=n_train)
    train_loader, _ = make_loaders(split, batch_size=batch_size, seed=seed)
    model = mlp(split.n_features, split.n_classes, hidden)
    opt = make_optimizer(optimizer, model.parameters(), start_lr, momentum)
    with torch.enable_grad():
        return _run(
            model, opt, train_loader, start_lr, end_lr, num_steps, beta, diverge_factor
        )
