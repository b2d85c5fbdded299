"""The nearest-neighbour baseline: label each held-out run like the nearest practice run.

    python -m autograder.assignments.ps2_diagnosing_curves.nearest

No rule at all: a held-out run gets the primary label of the practice run whose curves are
closest, and counts as right when that label is one of its right labels. Distance: both curves
as log10 losses (non-finite values and losses above 1e4 set to 4, i.e. "blew up"), each
resampled to ``POINTS`` points spread evenly from the first to the last epoch, Euclidean over
the training and validation points together. It measures how much of the held-out task can be
done by memorising the practice file: with held-out runs that were new seeds of the practice
set-ups (the bank before issue 13) this lookup was right for 96.2 % of them.
"""
from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from autograder.assignments.ps2_diagnosing_curves.bank import LABELS_ORDER, curves

POINTS = 32
BLEW_UP = 4.0  # log10 of a loss treated as "blew up"


def _log_loss(value: float) -> float:
    """log10 of a loss; a non-finite or huge loss reads as BLEW_UP."""
    if not math.isfinite(value) or value >= 10**BLEW_UP:
        return BLEW_UP
    return math.log10(max(value, 1e-9))


def features(curve: dict[str, Any]) -> np.ndarray:
    """The two curves as log losses resampled to POINTS points each."""
    out = []
    for key in ("train_loss", "val_loss"):
        values = np.array([_log_loss(v) for v in curve[key]])
        grid = np.linspace(0, len(values) - 1, POINTS)
        out.append(np.interp(grid, np.arange(len(values)), values))
    return np.concatenate(out)


def nearest_accuracy(practice: list[dict[str, Any]], heldout: list[dict[str, Any]]) -> tuple[float, dict[str, float]]:
    """(accuracy, accuracy per primary label) of the nearest-practice-run lookup."""
    bank = np.stack([features(c) for c in practice])
    hits: dict[str, list[bool]] = {label: [] for label in LABELS_ORDER}
    for curve in heldout:
        nearest = practice[int(np.argmin(np.linalg.norm(bank - features(curve), axis=1)))]
        hits[curve["label"]].append(nearest["label"] in curve["labels"])
    every = [h for label in hits.values() for h in label]
    return sum(every) / len(every), {label: sum(h) / len(h) for label, h in hits.items() if h}


def main() -> int:
    total, per = nearest_accuracy(curves("practice"), curves("heldout"))
    print(f"nearest practice run's label on the held-out runs: {100 * total:.1f} % right; "
          + ", ".join(f"{label} {100 * share:.0f} %" for label, share in per.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
