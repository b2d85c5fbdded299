"""ps3's instructor-side data: held-out range-test traces and learning-rate sweeps (README.md).

``data.json`` (written by ``make_data.py``) holds, for every held-out *problem* (a training
set-up the notebook never shows: dataset, model, optimizer, batch size, epochs, seed), a real
range test (``trace``: rates and smoothed losses) and a real constant-rate sweep over
:data:`SWEEP_RATES` (per rate: training and validation loss per epoch). From the sweep come the
*band* of rates it calls good (:func:`good_band`) for ``suggest_lr``, and the curves the
tuning loop of Part 3 is shown. Values are stored as the ps2 bank stores them
(:func:`autograder.checks.runs.encode_value`; :func:`~autograder.checks.runs.decode_values`
reads them back).
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from autograder.checks.runs import decode_values

DATA_PATH = Path(__file__).resolve().parent / "data.json"
#: The sweep's rates: four per decade from 1e-4 to 10 (the tuning loop's rates snap to them).
SWEEP_RATES: tuple[float, ...] = tuple(10 ** (k / 4) for k in range(-16, 5))
#: A rate is good when its run did not diverge and its best validation loss is within this
#: share of the sweep's whole improvement (initial loss -> sweep's best) of the sweep's best.
GOOD_SHARE = 0.1


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
