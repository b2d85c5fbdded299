"""The noisy testbed: a problem on which the learning-rate strategy decides the result.

Everything that defines it, in one place, so that lectures 4 and 5 and the benchmark
(``benchmarks/decay_vs_constant.py``) train exactly the same runs (and anything else can, e.g.
through ``dataset="noisy"`` and these settings):

* the data: :mod:`lrlab.synthetic`'s ``noisy`` problem (8 overlapping classes, 5 % of the labels
  random, 3 000 training and 10 000 validation rows, the same split for every seed);
* the network: one hidden layer of 128 ReLU units; plain SGD;
* mini-batches of :data:`BATCH_SIZE` = 8, so every gradient is noisy;
* the budget: :data:`EPOCHS` = 3 passes over the training rows, 1 125 optimizer steps, about
  0.4 s on one thread — short enough to train a grid of rates on several seeds in a lecture;
* the comparison: constant rates :data:`GRID` (a factor of about 1.4 apart, the best one inside
  the grid on every seed) against a cosine decay from :data:`PEAK` to 0 over the whole budget,
  stepped every batch.

A seed changes the initial weights and the batch order, not the data. Runs with the same seed
are paired (:mod:`lrlab.paired`).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from torch.optim import Optimizer
from torch.optim.lr_scheduler import CosineAnnealingLR, LRScheduler

from lrlab.data import load_split
from lrlab.train import Experiment, History, build

DATASET = "noisy"
HIDDEN: tuple[int, ...] = (128,)
BATCH_SIZE = 8
EPOCHS = 3
#: Constant rates the decay is compared with: 0.07 to 0.2, about ×1.4 (√2) apart.
GRID: tuple[float, ...] = (0.07, 0.1, 0.14, 0.2)
#: The cosine's starting rate: twice the top of the grid, a rate too high to hold.
PEAK = 0.4
#: The seeds the lectures use (the benchmark takes any).
SEEDS: tuple[int, ...] = (0, 1, 2, 3, 4)
#: What :func:`experiment` passes to :func:`lrlab.build` for every testbed run.
SETTINGS: dict[str, Any] = {"dataset": DATASET, "hidden": HIDDEN, "batch_size": BATCH_SIZE}


def steps_per_epoch() -> int:
    """Optimizer steps in one pass over the training rows."""
    return math.ceil(len(load_split(DATASET).y_train) / BATCH_SIZE)


def total_steps(epochs: int = EPOCHS) -> int:
    """Optimizer steps in ``epochs`` epochs (the whole budget by default)."""
    return epochs * steps_per_epoch()


def cosine(optimizer: Optimizer) -> LRScheduler:
    """The testbed's decay: a cosine from the optimizer's rate down to 0 over the whole budget,
    to be stepped every batch (``step_per="batch"``)."""
    return CosineAnnealingLR(optimizer, T_max=total_steps())


def experiment(lr: float, seed: int = 0, **options: Any) -> Experiment:
    """:func:`lrlab.build` on the testbed; ``options`` override or add to :data:`SETTINGS`
    (``optimizer``, ``momentum``, ``scheduler``, ``step_per``, …)."""
    return build(lr, seed=seed, **{**SETTINGS, **options})


def run(lr: float, seed: int = 0, epochs: int = EPOCHS, **options: Any) -> History:
    """One testbed run: :func:`experiment` trained for ``epochs`` epochs (the budget by default)."""
    return experiment(lr, seed, **options).train(epochs)


def run_cosine(seed: int = 0, peak: float = PEAK, **options: Any) -> History:
    """The cosine decay from ``peak`` to 0 over the budget, stepped every batch."""
    return run(peak, seed, scheduler=cosine, step_per="batch", **options)


def run_grid(seeds: Sequence[int] = SEEDS, grid: Sequence[float] = GRID, **options: Any) -> dict[float, list[History]]:
    """Every constant rate of ``grid`` on every seed: ``{rate: [History of each seed]}``."""
    return {lr: [run(lr, seed, **options) for seed in seeds] for lr in grid}
