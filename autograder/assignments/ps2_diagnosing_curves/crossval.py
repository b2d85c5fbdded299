"""How well the rules' tuning protocol generalises, measured on the practice runs alone.

    python -m autograder.assignments.ps2_diagnosing_curves.crossval

The thresholds of the rules were chosen on the practice runs by a coordinate search that
maximises the mean of the overall and the worst per-label accuracy. This script repeats that
search once per practice family with the family left out (leave-one-family-out
cross-validation) and scores each left-out family with the thresholds found without it. The
result estimates what tuned rules of this form reach on set-ups they were not tuned on, without
touching the held-out part. The rules are the source notebook's own ``diagnose``; only its
threshold constants are set per fold.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from autograder.assignments.ps2_diagnosing_curves.bank import LABELS_ORDER, curves, reference_namespace
from autograder.assignments.ps2_diagnosing_curves.accuracy import accuracy_table

#: The values the search tries for each threshold constant of the notebook.
GRID: dict[str, tuple[float, ...]] = {
    "DIVERGE_LOSS": (5.0, 10.0, 30.0, 100.0),
    "OVERFIT_RISE": (0.2, 0.3, 0.5),
    "RISE_FRACTION": (0.1, 0.15, 0.2, 0.3),
    "MIN_SWINGS": (1, 2, 3),
    "STALL_RATIO": (0.8, 0.9),
    "TAIL_FRACTION": (0.33, 0.5),
    "TAIL_SHARE": (0.05, 0.1, 0.2),
    "MIN_CHANGE": (0.0, 0.01, 0.02, 0.03),
}
ROUNDS = 2


def family(curve: dict[str, Any]) -> str:
    """The set-up a run belongs to: its id without the learning-rate suffix."""
    return curve["id"].rsplit("-lr", 1)[0]


def objective(diagnose: Callable[..., str], runs: list[dict[str, Any]]) -> float:
    """The search's objective: mean of the overall and the worst per-label accuracy."""
    total, per, _ = accuracy_table(diagnose, runs)
    return (total + min(r / n for r, n in per.values() if n)) / 2


def tune(namespace: dict[str, Any], runs: list[dict[str, Any]]) -> dict[str, float]:
    """Coordinate search from the notebook's thresholds; sets and returns the best found."""
    diagnose = namespace["diagnose"]
    chosen = {name: namespace[name] for name in GRID}
    namespace.update(chosen)
    best = objective(diagnose, runs)
    for _ in range(ROUNDS):
        improved = False
        for name, values in GRID.items():
            for value in values:
                namespace[name] = value
                score = objective(diagnose, runs)
                if score > best + 1e-12:
                    best, chosen[name], improved = score, value, True
            namespace[name] = chosen[name]
        if not improved:
            break
    return chosen


def main() -> int:
    namespace = reference_namespace()
    stock = {name: namespace[name] for name in GRID}
    practice = curves("practice")
    right = {label: [0, 0] for label in LABELS_ORDER}
    for left_out in sorted({family(c) for c in practice}):
        namespace.update(stock)
        tune(namespace, [c for c in practice if family(c) != left_out])
        for curve in (c for c in practice if family(c) == left_out):
            label = namespace["diagnose"](curve["train_loss"], curve["val_loss"])
            right[curve["label"]][0] += label in curve["labels"]
            right[curve["label"]][1] += 1
    total = sum(r for r, _ in right.values()) / len(practice)
    print("| estimate | runs | right | " + " | ".join(LABELS_ORDER) + " |")
    print("|---|---|---|" + "---|" * len(LABELS_ORDER))
    cells = " | ".join(f"{100 * r / n:.0f} % ({r}/{n})" for r, n in right.values())
    print(f"| leave-one-family-out | {len(practice)} | {100 * total:.1f} % | {cells} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
