"""Real training runs on the trusted side, for checks and for their calibration.

* :class:`Problem` — one training set-up (dataset, model width, optimizer, batch size, epochs,
  seed …); its runs differ only in the learning rate or the schedule;
* :func:`train_with_rates` — train a problem with exactly the rates given, one per optimizer
  step: how a check judges a schedule the student produced (ps1's applied part, ps3's Part 2)
  and how calibration measures targets;
* :func:`encode_value` / :func:`decode_values` — how held-out runs are stored (the ps2 curve
  bank, ps3's sweeps): 4 significant digits, non-finite values as strings (strict JSON).

Every run goes through ``lrlab`` (imported before anything computes: it pins PyTorch's CPU
numerics), so a number a check quotes is the number the student's own ``lrlab`` run shows.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One training set-up; runs of it differ only in the learning rate (or schedule)."""

    dataset: str
    hidden: tuple[int, ...]
    optimizer: str
    batch_size: int
    epochs: int
    seed: int
    momentum: float = 0.0
    n_train: int | None = None

    @property
    def name(self) -> str:
        opt = self.optimizer + (f"-m{self.momentum:g}" if self.momentum else "")
        n = f"-n{self.n_train}" if self.n_train else ""
        return f"{self.dataset}-h{'x'.join(map(str, self.hidden))}-{opt}-b{self.batch_size}-e{self.epochs}{n}-s{self.seed}"

    def to_plain(self) -> dict[str, Any]:
        return {**asdict(self), "hidden": list(self.hidden)}

    @classmethod
    def from_plain(cls, data: dict[str, Any]) -> Problem:
        return cls(**{**data, "hidden": tuple(data["hidden"])})

    def steps_per_epoch(self) -> int:
        """Optimizer steps in one epoch (batches of the training split)."""
        from lrlab.data import load_split

        return math.ceil(len(load_split(self.dataset, seed=self.seed, n_train=self.n_train).y_train) / self.batch_size)


def train_with_rates(problem: Problem, rates: Sequence[float], epochs: int | None = None) -> Any:
    """Train ``problem``, optimizer step k at ``rates[k]`` (the last rate holds after the list
    ends); returns lrlab's ``History``. Same seeds, data, model and loop as ``lrlab.run``, so a
    constant list reproduces ``lrlab.run(lr, ...)`` exactly. Warnings are silenced: a student's
    rates may be extreme, and the History says whether the run diverged."""
    from torch.optim.lr_scheduler import LRScheduler

    import lrlab  # noqa: F401  (pins the numerics before anything computes)
    from lrlab.train import build

    frozen = tuple(float(r) for r in rates)

    class Replay(LRScheduler):
        def get_lr(self) -> list[float]:
            rate = frozen[min(self.last_epoch, len(frozen) - 1)]
            return [rate for _ in self.optimizer.param_groups]

    # The scheduler sets every step's rate, the first included: the optimizer's own rate is
    # never used (it must only be valid).
    peak = max(frozen) if max(frozen) > 0 else 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        experiment = build(peak, dataset=problem.dataset, hidden=problem.hidden, optimizer=problem.optimizer,
                           momentum=problem.momentum, batch_size=problem.batch_size, seed=problem.seed,
                           n_train=problem.n_train, scheduler=Replay, step_per="batch")
        return experiment.train(epochs or problem.epochs)


def encode_value(x: float) -> float | str:
    """A loss as stored: 4 significant digits, or "nan"/"inf"/"-inf"."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return float(f"{x:.4g}")


def decode_values(values: list[Any]) -> list[float]:
    """Stored values back to floats (``float("nan")`` etc. for the strings)."""
    return [float(v) for v in values]
