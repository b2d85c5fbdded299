"""ps3's instructor-side data: held-out range-test traces and learning-rate sweeps (README.md).

``data.json`` (written by ``make_data.py``) holds, for every held-out *problem* (a training
set-up the notebook never shows: dataset, model, optimizer, batch size, epochs, seed), a real
range test (``trace``: rates and the mean loss at each) and a real constant-rate sweep over
:data:`SWEEP_RATES` (per rate: training and validation loss per epoch, and whether lrlab calls
the run diverged). From the sweep come the *band* of rates it calls good (:func:`good_band`)
for ``suggest_lr``, the curves the tuning loop of Part 3 is shown, and the histories
``choose_lr`` is judged on (:func:`choose_cases`). Values are stored as the ps2 bank stores
them (:func:`autograder.checks.runs.encode_value`; :func:`~autograder.checks.runs.decode_values`
reads them back).
"""
from __future__ import annotations

import json
import math
import random
from functools import lru_cache
from pathlib import Path
from typing import Any

from autograder.assignments import HeldOut
from autograder.checks.runs import decode_values

DATA_PATH = Path(__file__).resolve().parent / "data.json"
#: The sweep's rates: four per decade from 1e-4 to 10 (the tuning loop's rates snap to them).
SWEEP_RATES: tuple[float, ...] = tuple(10 ** (k / 4) for k in range(-16, 5))
#: A rate is good when its run did not diverge and its best validation loss is within this
#: share of the sweep's whole improvement (initial loss -> sweep's best) of the sweep's best.
GOOD_SHARE = 0.1
#: Keys of one run as the student's functions see it (a Part 3 history entry).
RUN_KEYS = ("lr", "train_loss", "val_loss", "diverged")


@lru_cache(maxsize=1)
def load_data() -> dict[str, Any]:
    """The whole file as stored (values still encoded)."""
    return json.loads(DATA_PATH.read_text())


def sweep(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """A stored problem's sweep: per rate ``lr``, float ``train_loss``/``val_loss``, ``diverged``
    and ``best_val`` (None for a diverged run)."""
    return [{**run, "train_loss": decode_values(run["train_loss"]), "val_loss": decode_values(run["val_loss"])}
            for run in entry["sweep"]]


def shown(run: dict[str, Any]) -> dict[str, Any]:
    """A run as the student's functions get it: rate, curves and the diverged flag only."""
    return {key: run[key] for key in RUN_KEYS}


def score(run: dict[str, Any]) -> float:
    """How Part 3 ranks a run: its lowest validation loss; infinite when lrlab calls it diverged."""
    if run["diverged"]:
        return math.inf
    finite = [v for v in run["val_loss"] if math.isfinite(v)]
    return min(finite) if finite else math.inf


def good_band(entry: dict[str, Any]) -> tuple[float, float]:
    """(lowest, highest) rate the problem's sweep calls good (see :data:`GOOD_SHARE`)."""
    runs = [r for r in entry["sweep"] if r["best_val"] is not None]
    best = min(r["best_val"] for r in runs)
    limit = best + GOOD_SHARE * (entry["initial_val"] - best)
    good = [r["lr"] for r in runs if r["best_val"] <= limit]
    return min(good), max(good)


#: The kinds of history ``choose_lr`` is judged on (each weighs the same; see :func:`choose_cases`).
CASE_KINDS = ("ordinary", "diverged", "tied")


def _lowest_val(run: dict[str, Any]) -> float:
    """A run's lowest finite validation loss, diverged or not (what a careless reading sees)."""
    return min((v for v in run["val_loss"] if math.isfinite(v)), default=math.inf)


def _case(kind: str, history: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]], list[float]]:
    best = min(score(run) for run in history)
    return kind, history, [run["lr"] for run in history if score(run) == best]


def choose_cases() -> list[tuple[str, list[dict[str, Any]], list[float]]]:
    """``choose_lr``'s held-out cases: (kind, history, the right answers: every rate whose run has
    the lowest :func:`score`).

    * ``ordinary``: from every held-out problem the tuning loop does not use, two histories, the
      runs of every other sweep rate (even, then odd positions);
    * ``diverged``: from every problem with a run lrlab calls diverged whose validation loss
      still reaches the best run's or lower (curves that can be finite: the flag tells), those
      runs first, then the three best runs that did not diverge;
    * ``tied``: from every problem whose best runs tie (values are stored to 4 digits), the tied
      runs and the three next best.

    Histories are shuffled with a fixed seed (``diverged`` only after its diverged runs): the
    answer is never simply the last, first or highest rate.
    """
    data = load_data()
    cases = []
    for number, entry in enumerate(data["problems"]):
        runs = sweep(entry)
        shuffle = random.Random(number).shuffle
        if entry["name"] not in data["loop"]:
            for parity in (0, 1):
                history = [shown(run) for run in runs[parity::2]]
                shuffle(history)
                cases.append(_case("ordinary", history))
        kept = sorted((run for run in runs if not run["diverged"]), key=score)
        best = score(kept[0])
        traps = [shown(run) for run in runs if run["diverged"] and _lowest_val(run) <= best]
        if traps:
            others = [shown(run) for run in kept[:3]]
            shuffle(others)
            cases.append(_case("diverged", traps + others))
        tied = [run for run in kept if score(run) == best]
        if len(tied) > 1:
            history = [shown(run) for run in kept[:len(tied) + 3]]
            shuffle(history)
            cases.append(_case("tied", history))
    return cases


def held_out() -> HeldOut:
    """What the publish gate must never let through: the held-out problems' names (they label
    every entry of ``data.json``) and their range-test traces, the data ``suggest_lr`` is judged
    on (a run of zeros excepted: some levels are exactly 0.0, a value any text may hold). The
    sweeps' curves are not listed value by value: thousands of slowly falling losses at 4 digits
    share runs of four values with public curves by chance (ps2's practice curves do)."""
    data = load_data()
    return HeldOut(ids=frozenset(entry["name"] for entry in data["problems"]),
                   series=tuple(tuple(entry["trace"]["losses"]) for entry in data["problems"]),
                   public_series=((0.0,) * 4,))
