"""Calibrate ps1 Part 4's target: the best constant rate misses it, warm-up + cosine reaches it.

    python -m autograder.assignments.ps1_schedulers.calibrate

Real training, exactly as the grader re-trains (``checks.retrain`` in this folder: digits,
the 64-unit MLP, 3 epochs at batch size 64, seed 0, pinned numerics, so the numbers are the
same on every machine). Prints

* the best constant learning rate: a sweep over every optimizer the notebook allows, momenta
  ``CONSTANT_MOMENTA`` (SGD and RMSprop) and rates ``10^(k/8)`` from 1e-4 to 10, then every
  rate ``10^(k/32)`` within a factor 10^(1/4) of the best of each optimizer and momentum;
* the reference schedule (the source notebook's ``APPLIED``: a short warm-up to a peak above
  the best constant SGD rate, then cosine down to a tenth of it);
* a few other sensible warm-up + decay schedules, to show the target does not need the exact
  reference;
* the target ``APPLIED_TARGET_LOSS``.

Exit status 1 unless best constant > target > reference. Takes a few minutes (a few hundred
3-epoch runs).
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass

from autograder.assignments.ps1_schedulers.checks import (
    APPLIED_MAX_LR,
    APPLIED_OPTIMIZERS,
    APPLIED_TARGET_LOSS,
    applied_total_steps,
    ref_warmup_cosine,
    retrain,
)

CONSTANT_MOMENTA = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)
REFERENCE = {"optimizer": "sgd", "lr": 2.2, "momentum": 0.0, "warmup_steps": 3, "min_lr": 0.22}
OTHER_SCHEDULES = (
    {"optimizer": "sgd", "lr": 2.2, "momentum": 0.0, "warmup_steps": 7, "min_lr": 0.22},
    {"optimizer": "sgd", "lr": 1.7, "momentum": 0.0, "warmup_steps": 3, "min_lr": 0.17},
    {"optimizer": "rmsprop", "lr": 0.005, "momentum": 0.5, "warmup_steps": 7, "min_lr": 0.0005},
)


@dataclass(frozen=True)
class Trial:
    optimizer: str
    momentum: float
    lr: float
    loss: float  # final validation loss; inf when the run diverged

    def describe(self) -> str:
        momentum = f", momentum {self.momentum:g}" if self.optimizer in ("sgd", "rmsprop") else ""
        return f"{self.optimizer}{momentum}, constant rate {self.lr:.4g}"


def constant(optimizer: str, momentum: float, lr: float) -> Trial:
    """One constant-rate run of the applied budget."""
    loss, diverged = retrain(optimizer, momentum, (lr,) * applied_total_steps())
    return Trial(optimizer, momentum, lr, math.inf if diverged or not math.isfinite(loss) else loss)


def scheduled(settings: dict) -> float:
    """Final validation loss of warm-up + cosine with these APPLIED settings (inf if diverged)."""
    total = applied_total_steps()
    rates = ref_warmup_cosine(list(range(total)), settings["warmup_steps"], total, settings["lr"], settings["min_lr"])
    loss, diverged = retrain(settings["optimizer"], settings["momentum"], tuple(rates))
    return math.inf if diverged or not math.isfinite(loss) else loss


def configurations() -> list[tuple[str, float]]:
    """Every (optimizer, momentum) the notebook allows, momenta from CONSTANT_MOMENTA."""
    return [(opt, m) for opt in APPLIED_OPTIMIZERS for m in (CONSTANT_MOMENTA if opt in ("sgd", "rmsprop") else (0.0,))]


def best_constant() -> Trial:
    """The lowest final validation loss of any constant rate (coarse sweep, then refined)."""
    best: Trial | None = None
    for optimizer, momentum in configurations():
        coarse = [constant(optimizer, momentum, 10 ** (k / 8)) for k in range(-32, 9)]
        top = min(coarse, key=lambda t: t.loss)
        centre = round(32 * math.log10(top.lr))
        fine = [constant(optimizer, momentum, 10 ** (k / 32)) for k in range(centre - 8, centre + 9)
                if 10 ** (k / 32) <= APPLIED_MAX_LR]
        top = min([top, *fine], key=lambda t: t.loss)
        if best is None or top.loss < best.loss:
            best = top
    assert best is not None
    return best


def main() -> int:
    start = time.perf_counter()
    best = best_constant()
    reference = scheduled(REFERENCE)
    print(f"best constant rate : final validation loss {best.loss:.4f}  ({best.describe()})")
    print(f"reference schedule : final validation loss {reference:.4f}  ({REFERENCE})")
    for settings in OTHER_SCHEDULES:
        print(f"other schedule     : final validation loss {scheduled(settings):.4f}  ({settings})")
    print(f"target             : final validation loss at most {APPLIED_TARGET_LOSS}")
    print(f"({time.perf_counter() - start:.0f} s)")
    ok = best.loss > APPLIED_TARGET_LOSS > reference
    if not ok:
        print("NOT CALIBRATED: the target must lie between the reference and the best constant rate")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
