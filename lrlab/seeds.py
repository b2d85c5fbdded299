"""Honest comparisons: the same experiment over several seeds, summarised as mean and spread.

One seed cannot rank two rates, schedules or optimizers whose results differ by a few
validation images: another seed (another split, initialisation and batch order) can reverse
the order. The lectures therefore run every ranked configuration on :data:`SEEDS`, print the
mean with the range over seeds, and claim "A beats B" only when A's whole range lies below
B's (:func:`clearly_below`).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tabulate import tabulate

from lrlab.report import format_number
from lrlab.train import History, run

#: The seeds every ranking in the course uses.
SEEDS: tuple[int, ...] = (0, 1, 2)


@dataclass(frozen=True)
class Spread:
    """One number measured once per seed (NaN for a seed where it does not exist)."""

    values: tuple[float, ...]

    @property
    def complete(self) -> bool:
        """True when every seed has a finite value."""
        return bool(self.values) and all(math.isfinite(v) for v in self.values)

    @property
    def mean(self) -> float:
        return sum(self.values) / len(self.values) if self.complete else math.nan

    @property
    def low(self) -> float:
        return min(self.values) if self.complete else math.nan

    @property
    def high(self) -> float:
        return max(self.values) if self.complete else math.nan

    def __str__(self) -> str:
        """``mean (min–max)`` at 4 decimals, or ``—`` when a seed has no value."""
        if not self.complete:
            return "—"
        return f"{format_number(self.mean)} ({format_number(self.low)}–{format_number(self.high)})"


def run_seeds(lr: float, seeds: Sequence[int] = SEEDS, **kwargs: Any) -> list[History]:
    """:func:`lrlab.run` once per seed (silent); ``kwargs`` as for :func:`lrlab.run`."""
    if not seeds:
        raise ValueError("run_seeds needs at least one seed")
    if "seed" in kwargs or "split" in kwargs:
        raise ValueError("run_seeds chooses the seed (and with it the split) itself")
    kwargs.setdefault("verbose", False)
    return [run(lr, seed=seed, **kwargs) for seed in seeds]


def _per_seed(histories: Sequence[History], value: Any) -> Spread:
    """``value(h)`` for every seed, NaN for a seed that diverged."""
    return Spread(tuple(math.nan if h.diverged or not h.val_loss else float(value(h)) for h in histories))


def final_val_loss(histories: Sequence[History]) -> Spread:
    return _per_seed(histories, lambda h: h.val_loss[-1])


def best_val_loss(histories: Sequence[History]) -> Spread:
    return _per_seed(histories, lambda h: h.best_val_loss)


def final_train_loss(histories: Sequence[History]) -> Spread:
    return _per_seed(histories, lambda h: h.train_loss[-1])


def final_val_acc(histories: Sequence[History]) -> Spread:
    return _per_seed(histories, lambda h: h.final_val_acc)


def diverged_count(histories: Sequence[History]) -> str:
    """``"k of n"`` seeds that diverged."""
    return f"{sum(h.diverged for h in histories)} of {len(histories)}"


def clearly_below(a: Spread, b: Spread) -> bool:
    """True when every seed of ``a`` is below every seed of ``b`` (the ranges do not touch).

    This is the only evidence on which the lectures say "a is lower than b"; anything else is
    "within the spread of the seeds".
    """
    return a.complete and b.complete and a.high < b.low


def compare(a: Spread, b: Spread) -> str:
    """``"lower"``, ``"higher"`` or ``"within the spread"``: ``a`` against ``b``."""
    if clearly_below(a, b):
        return "lower"
    if clearly_below(b, a):
        return "higher"
    return "within the spread"


def seeds_table(groups: Mapping[str, Sequence[History]], name: str = "Run") -> str:
    """One row per configuration: losses and accuracy as ``mean (min–max)`` over its seeds.

    A configuration with a diverged seed reads ``—`` in every loss column: its mean would mix
    a chaotic run with finite ones, and a diverged run has no best validation loss.
    """
    if not groups:
        raise ValueError("seeds_table needs at least one configuration")
    rows = [
        [
            label,
            str(len(runs)),
            diverged_count(runs),
            str(final_train_loss(runs)),
            str(final_val_loss(runs)),
            str(best_val_loss(runs)),
            str(final_val_acc(runs)),
        ]
        for label, runs in groups.items()
    ]
    headers = [
        name,
        "Seeds",
        "Diverged",
        "Final Training Loss, mean (min–max)",
        "Final Validation Loss, mean (min–max)",
        "Best Validation Loss, mean (min–max)",
        "Validation Accuracy, mean (min–max)",
    ]
    align = ["left"] + ["right"] * (len(headers) - 1)
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True, colalign=align)
