"""ps3's instructor-side data: held-out range-test traces and learning-rate sweeps (README.md).

``data.json`` (written by ``make_data.py``) holds, for every held-out *problem* (a training
set-up the notebook never shows: dataset, model, optimizer, batch size, epochs, seed), a real
range test (``trace``: rates and smoothed losses) and a real constant-rate sweep over
:data:`SWEEP_RATES` (per rate: training and validation loss per epoch). From the sweep come the
*band* of rates it calls good (:func:`good_band`) for ``suggest_lr``, and the curves the
tuning loop of Part 3 is shown. Values are stored as in the ps2 bank (4 significant digits,
non-finite ones as strings): :func:`autograder.curves.decode_values` reads them back.
"""
from __future__ import annotations

import json
import math
import warnings
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from autograder.curves import decode_values

HERE = Path(__file__).resolve().parent
DATA_PATH = HERE / "data.json"
#: The sweep's rates: four per decade from 1e-4 to 10 (the tuning loop's rates snap to them).
SWEEP_RATES: tuple[float, ...] = tuple(10 ** (k / 4) for k in range(-16, 5))
#: A rate is good when its run did not diverge and its best validation loss is within this
#: share of the sweep's whole improvement (initial loss -> sweep's best) of the sweep's best.
GOOD_SHARE = 0.1


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
        from lrlab.data import load_split

        return math.ceil(len(load_split(self.dataset, seed=self.seed, n_train=self.n_train).y_train) / self.batch_size)


def train_with_rates(problem: Problem, rates: list[float], epochs: int | None = None) -> Any:
    """Train ``problem`` (trusted side), optimizer step k at ``rates[k]`` (the last rate holds
    after the list ends); returns lrlab's History. Same seeds, data, model and loop as
    ``lrlab.run``, so a constant list reproduces ``lrlab.run(lr, ...)`` exactly."""
    from torch.optim.lr_scheduler import LRScheduler

    import lrlab  # noqa: F401  (pins the numerics before anything computes)
    from lrlab.train import build

    frozen = tuple(float(r) for r in rates)

    class Replay(LRScheduler):
        def get_lr(self) -> list[float]:
            rate = frozen[min(self.last_epoch, len(frozen) - 1)]
            return [rate for _ in self.optimizer.param_groups]

    peak = max(frozen) if max(frozen) > 0 else 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        experiment = build(peak, dataset=problem.dataset, hidden=problem.hidden, optimizer=problem.optimizer,
                           momentum=problem.momentum, batch_size=problem.batch_size, seed=problem.seed,
                           n_train=problem.n_train, scheduler=Replay, step_per="batch")
        return experiment.train(epochs or problem.epochs)


@lru_cache(maxsize=1)
def load_data() -> dict[str, Any]:
    """The whole file as stored (values still encoded)."""
    return json.loads(DATA_PATH.read_text())


def sweep(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """A stored problem's sweep: per rate ``lr``, float ``train_loss``/``val_loss``, ``best_val``
    (None for a diverged run)."""
    return [{**run, "train_loss": decode_values(run["train_loss"]), "val_loss": decode_values(run["val_loss"])}
            for run in entry["sweep"]]


def good_band(entry: dict[str, Any]) -> tuple[float, float]:
    """(lowest, highest) rate the problem's sweep calls good (see :data:`GOOD_SHARE`)."""
    runs = [r for r in entry["sweep"] if r["best_val"] is not None]
    best = min(r["best_val"] for r in runs)
    limit = best + GOOD_SHARE * (entry["initial_val"] - best)
    good = [r["lr"] for r in runs if r["best_val"] <= limit]
    return min(good), max(good)
