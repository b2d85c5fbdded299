"""Calibrate ps3 Part 2's target: the best constant rate misses it, warm-up + decay reaches it.

    python -m autograder.assignments.ps3_tuning.calibrate

Real training on the held-out seed, exactly as the grader trains (``checks.py`` here:
``schedule_result``). Prints the best constant setting — a sweep of :data:`CONSTANT_SETTINGS`
over rates ``10^(k/8)`` from 0.01 to 3.2 (SGD, momentum 0 and 0.9) — and the reference schedule (the source notebook's
``schedule_answer``), then the target. Exit status 1 unless best constant > target >=
reference, or the numbers the checks module quotes (``SCHEDULE_CALIBRATION``) differ.
"""
from __future__ import annotations

import math
import sys

from autograder.assignments import get
from autograder.assignments.ps3_tuning.checks import SCHEDULE_CALIBRATION, SCHEDULE_TARGET, schedule_budget, schedule_result
from autograder.checks.reference import solution_namespace

#: (optimizer, momentum) pairs the constant sweep tries.
CONSTANT_SETTINGS = (("sgd", 0.0), ("sgd", 0.9))
CONSTANT_RATES = tuple(10 ** (k / 8) for k in range(-16, 5))


def reference_rates() -> tuple[str, float, list[float]]:
    """The source notebook's OPTIMIZER and schedule, as the grader reads them."""
    ns = solution_namespace(get("ps3_tuning").source_notebook())
    return ns["OPTIMIZER"]["name"], float(ns["OPTIMIZER"]["momentum"]), [float(ns["schedule"](k)) for k in range(schedule_budget())]


def best_constant() -> tuple[float, str, float, float]:
    """(best validation loss, optimizer, momentum, rate) of the best constant setting."""
    best = (math.inf, "", 0.0, 0.0)
    for optimizer, momentum in CONSTANT_SETTINGS:
        for lr in CONSTANT_RATES:
            loss, diverged = schedule_result(optimizer, momentum, (lr,) * schedule_budget())
            if not diverged and loss < best[0]:
                best = (loss, optimizer, momentum, lr)
    return best


def main() -> int:
    constant = best_constant()
    optimizer, momentum, rates = reference_rates()
    reference, diverged = schedule_result(optimizer, momentum, tuple(rates))
    print(f"best constant: {constant[0]:.4f} ({constant[1]}, momentum {constant[2]:g}, lr {constant[3]:.3g})")
    print(f"reference schedule: {'diverged' if diverged else f'{reference:.4f}'} ({optimizer}, momentum {momentum:g})")
    print(f"target: {SCHEDULE_TARGET}")
    quoted = {"best_constant": round(constant[0], 4), "reference": round(reference, 4)}
    ok = constant[0] > SCHEDULE_TARGET >= reference and not diverged and quoted == SCHEDULE_CALIBRATION
    if quoted != SCHEDULE_CALIBRATION:
        print(f"SCHEDULE_CALIBRATION should be {quoted}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
