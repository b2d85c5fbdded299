"""Part 2's problem, its seeds and its credit: a schedule is judged by training it (trusted side).

The problem is a variant of the course's noisy testbed (``lrlab.testbed``) that no lecture
tunes: the same generated data (``dataset="noisy"``: 3 000 training and 10 000 validation rows,
the same for every seed), but a wider network (256 hidden units), mini-batches of 32 instead of
8 and a budget of 6 epochs (564 optimizer steps) instead of 3. Lecture 4's recipe (a cosine from
0.4 to 0) is a sensible start there but not the answer: its peak was chosen for batches of 8.

A schedule is trained on every seed of :data:`HELDOUT_SEEDS` (seeds change the initial weights
and the batch order only; students never see them) with exactly the rates it returned, and
judged by its **mean final validation loss** over those seeds: where the run ends is what a
schedule is for (a decay lets the last steps settle below the noise floor of a constant rate),
and the final loss, unlike the best of a few epoch ends, does not reward a constant run that
happens to dip at an epoch end. The zero of the credit is the best constant rate of
:data:`GRID` (the rate with the lowest mean final validation loss on the held-out seeds, chosen
after the fact: every advantage to the constant); full marks at :data:`REQUIRED_IMPROVEMENT`
below it, linear in between. The numbers come from ``calibrate.py`` here (README.md).
"""
from __future__ import annotations

import dataclasses
import functools
import math
import statistics
from collections.abc import Sequence

from autograder.checks.runs import Problem, train_with_rates

#: The problem (its seed is replaced by each practice or held-out seed).
PROBLEM = Problem("noisy", (256,), "sgd", 32, 6, seed=0)
#: Seeds students train on (the notebook's ``try_schedule``); the held-out ones they never see.
PRACTICE_SEEDS: tuple[int, ...] = (0, 1, 2, 3, 4)
HELDOUT_SEEDS: tuple[int, ...] = (211, 223, 227, 229)
#: The constant rates a schedule must beat: about x1.4 apart, the best one inside the grid.
GRID: tuple[float, ...] = (0.1, 0.14, 0.2, 0.28, 0.4)
#: Full marks: a mean final validation loss this much below the best constant rate's.
REQUIRED_IMPROVEMENT = 0.09
#: What calibrate.py measured (the notebook quotes them; a test and ``calibrate.py --check`` keep
#: them equal): the best constant rate of GRID on the held-out seeds and its mean final
#: validation loss there and on the practice seeds.
BEST_CONSTANT = {"rate": 0.2, "heldout": 1.1564, "practice": 1.1652}
#: Optimizers the problem is set for; the momentum is the student's choice.
OPTIMIZERS = ("sgd",)
MAX_LR = 10.0


def budget() -> int:
    """Optimizer steps in the budget (epochs x mini-batches per epoch)."""
    return PROBLEM.epochs * PROBLEM.steps_per_epoch()


@functools.lru_cache(maxsize=256)
def final_loss(momentum: float, rates: tuple[float, ...], seed: int) -> float | None:
    """Final validation loss of one run with these rates (None when lrlab calls it diverged)."""
    history = train_with_rates(dataclasses.replace(PROBLEM, seed=seed, momentum=momentum), rates)
    if history.diverged or history.epochs_run < PROBLEM.epochs:
        return None
    return history.val_loss[-1]


def mean_final_loss(momentum: float, rates: Sequence[float], seeds: Sequence[int]) -> float | None:
    """Mean final validation loss over ``seeds`` (None when a run diverged on any of them)."""
    finals = [final_loss(momentum, tuple(rates), seed) for seed in seeds]
    return None if any(f is None for f in finals) else statistics.fmean(finals)  # type: ignore[arg-type]


def credit(mean_final: float | None, best_constant: float = BEST_CONSTANT["heldout"]) -> float:
    """Share of Part 2: 0 at the best constant's mean final loss (or above, or diverged), 1 at
    :data:`REQUIRED_IMPROVEMENT` below it or lower, linear in between."""
    if mean_final is None or not math.isfinite(mean_final):
        return 0.0
    return min(1.0, max(0.0, (best_constant - mean_final) / REQUIRED_IMPROVEMENT))
