"""Calibrate ps1 Part 4's target: no constant rate reaches it, warm-up + cosine schedules do.

    python -m autograder.assignments.ps1_schedulers.calibrate

Real training, exactly as the grader re-trains (``checks.retrain`` in this folder: lrlab's noisy
testbed, 3 epochs at batch size 8, 1 125 steps, pinned numerics, so the numbers are the same on
every machine), on each of the seeds the grader uses (``APPLIED_SEEDS``). The grader judges the
MEAN final validation loss over the seeds (one run's final loss is too noisy to rank on). Prints

* every constant learning rate's best: a sweep over every optimizer the notebook allows, momenta
  ``CONSTANT_MOMENTA`` (SGD and RMSprop) and rates ``10^(k/8)`` from 1e-4 to 10, then every rate
  ``10^(k/32)`` within a factor 10^(1/4) of the best of each optimizer and momentum (best by the
  mean over the seeds); the best constant by its mean, seed by seed, and the lowest final
  validation loss ANY of these runs reaches on ANY seed;
* the reference schedule (the source notebook's ``APPLIED``: a warm-up over a tenth of the
  budget to a peak above the best constant SGD rate, then cosine down to a tenth of the peak),
  seed by seed, and paired with the best constant seed by seed;
* other warm-up + cosine schedules near the reference (other warm-ups, decays to 0, another peak,
  Adam), to show the target does not need the exact reference;
* the target ``APPLIED_TARGET_LOSS`` and its margins on both sides.

Exit status 1 unless the reference's mean < target < the best constant's mean.
Takes 10-20 minutes on two cores (about 2 500 runs of 0.4 s).
"""
from __future__ import annotations

import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from autograder.assignments.ps1_schedulers.checks import (
    APPLIED_MAX_LR,
    APPLIED_OPTIMIZERS,
    APPLIED_SEEDS,
    APPLIED_TARGET_LOSS,
    applied_total_steps,
    ref_warmup_cosine,
    retrain,
)

WORKERS = 2
CONSTANT_MOMENTA = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)
REFERENCE = {"optimizer": "sgd", "lr": 0.3, "momentum": 0.0, "warmup_steps": 112, "min_lr": 0.03}
#: What the sweep found (the notebook quotes both, a test re-trains them): the best constant rate
#: on average over the seeds, and the constant run that reaches the lowest final validation loss
#: on any one seed.
BEST = ("rmsprop", 0.0, 10 ** (-77 / 32))
LOWEST = ("rmsprop", 0.8, 10 ** (-25 / 8))
OTHER_SCHEDULES = (
    {"optimizer": "sgd", "lr": 0.3, "momentum": 0.0, "warmup_steps": 0, "min_lr": 0.03},
    {"optimizer": "sgd", "lr": 0.3, "momentum": 0.0, "warmup_steps": 56, "min_lr": 0.03},
    {"optimizer": "sgd", "lr": 0.3, "momentum": 0.0, "warmup_steps": 125, "min_lr": 0.03},
    {"optimizer": "sgd", "lr": 0.3, "momentum": 0.0, "warmup_steps": 188, "min_lr": 0.03},
    {"optimizer": "sgd", "lr": 0.3, "momentum": 0.0, "warmup_steps": 112, "min_lr": 0.0},
    {"optimizer": "sgd", "lr": 0.4, "momentum": 0.0, "warmup_steps": 0, "min_lr": 0.04},
    {"optimizer": "adam", "lr": 0.006, "momentum": 0.0, "warmup_steps": 112, "min_lr": 0.0006},
)


@dataclass(frozen=True)
class Trial:
    """One setting of the applied part, trained on every seed of ``APPLIED_SEEDS``."""

    label: str
    losses: tuple[float, ...]  # final validation loss per seed; inf where the run diverged

    @property
    def mean(self) -> float:
        return sum(self.losses) / len(self.losses)

    @property
    def low(self) -> float:
        return min(self.losses)

    @property
    def high(self) -> float:
        return max(self.losses)

    def describe(self) -> str:
        per_seed = ", ".join(f"seed {s}: {v:.4f}" for s, v in zip(APPLIED_SEEDS, self.losses))
        return f"{per_seed}  (mean {self.mean:.4f}, spread {self.high - self.low:.4f})  {self.label}"


def _losses(optimizer: str, momentum: float, rates: tuple[float, ...]) -> tuple[float, ...]:
    runs = [retrain(optimizer, momentum, rates, seed) for seed in APPLIED_SEEDS]
    return tuple(math.inf if diverged or not math.isfinite(loss) else loss for loss, diverged in runs)


def constant(optimizer: str, momentum: float, lr: float) -> Trial:
    """One constant rate over the applied budget, on every seed."""
    momentum_text = f", momentum {momentum:g}" if optimizer in ("sgd", "rmsprop") else ""
    return Trial(f"{optimizer}{momentum_text}, constant rate {lr:.4g}",
                 _losses(optimizer, momentum, (lr,) * applied_total_steps()))


def scheduled(settings: dict) -> Trial:
    """Warm-up + cosine with these APPLIED settings, on every seed."""
    total = applied_total_steps()
    rates = ref_warmup_cosine(list(range(total)), settings["warmup_steps"], total, settings["lr"], settings["min_lr"])
    return Trial(str(settings), _losses(settings["optimizer"], settings["momentum"], tuple(rates)))


def configurations() -> list[tuple[str, float]]:
    """Every (optimizer, momentum) the notebook allows, momenta from CONSTANT_MOMENTA."""
    return [(opt, m) for opt in APPLIED_OPTIMIZERS for m in (CONSTANT_MOMENTA if opt in ("sgd", "rmsprop") else (0.0,))]


def _init() -> None:
    import lrlab  # noqa: F401  (pins PyTorch's CPU numerics before anything computes)


def sweep_configuration(configuration: tuple[str, float]) -> list[Trial]:
    """Every constant rate tried for one optimizer and momentum: coarse, then refined around
    the best by the mean over the seeds."""
    optimizer, momentum = configuration
    rates = [10 ** (k / 8) for k in range(-32, 9)]
    coarse = [constant(optimizer, momentum, lr) for lr in rates]
    centre = round(32 * math.log10(rates[min(range(len(rates)), key=lambda i: coarse[i].mean)]))
    fine = [constant(optimizer, momentum, 10 ** (k / 32)) for k in range(centre - 8, centre + 9)
            if 10 ** (k / 32) <= APPLIED_MAX_LR]
    return coarse + fine


def main() -> int:
    start = time.perf_counter()
    with ProcessPoolExecutor(WORKERS, initializer=_init) as pool:
        trials = [t for found in pool.map(sweep_configuration, configurations()) for t in found]
        reference, *others = pool.map(scheduled, [REFERENCE, *OTHER_SCHEDULES])
    best = min(trials, key=lambda t: t.mean)
    lowest = min(trials, key=lambda t: t.low)
    target = APPLIED_TARGET_LOSS
    paired = [c - r for c, r in zip(best.losses, reference.losses)]
    print(f"{len(trials)} constant settings on seeds {', '.join(map(str, APPLIED_SEEDS))}")
    print(f"best constant (mean)   : {best.describe()}")
    print(f"lowest constant run    : {lowest.low:.4f} on one seed  ({lowest.describe()})")
    print(f"reference schedule     : {reference.describe()}")
    print(f"paired, best constant minus reference: {', '.join(f'{d:.4f}' for d in paired)} "
          f"(mean {sum(paired) / len(paired):.4f})")
    for other in others:
        print(f"other schedule ({'reaches' if other.mean <= target else 'misses '}): {other.describe()}")
    print(f"target                 : mean final validation loss at most {target}")
    print(f"margins                : reference's mean {target - reference.mean:.4f} below it, the best "
          f"constant's mean {best.mean - target:.4f} above it; the lowest constant run on any seed "
          f"{lowest.low - target:+.4f} from it")
    print(f"({time.perf_counter() - start:.0f} s)")
    ok = best.mean > target > reference.mean
    if not ok:
        print("NOT CALIBRATED: the target must lie between the reference's mean and the best constant's mean")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
