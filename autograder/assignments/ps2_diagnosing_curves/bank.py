"""The ps2 curve bank: real loss curves labelled by which fix works (see README.md here).

``bank.json`` (written by ``make_bank.py``) has two parts with no set-up in common: ``practice``
(released to students as ``source/ps2_diagnosing_curves/practice_curves.json``; it also holds the
notebook's five figures, bare curves from set-ups in neither part) and ``heldout``
(instructor-only; used by the hidden checks). Each curve carries its set-up, its primary
``label`` and every right label (``labels``) from ``criterion.py`` (here). Losses are stored as :func:`autograder.checks.runs.encode_value` writes them (4 significant
digits, non-finite values as strings, so the file stays strict JSON); :func:`curves` turns them
back into floats.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from autograder import REPO_ROOT
from autograder.assignments import HeldOut
from autograder.checks.reference import solution_namespace
from autograder.checks.runs import decode_values

ASSIGNMENT = "ps2_diagnosing_curves"
BANK_PATH = Path(__file__).resolve().parent / "bank.json"
SOURCE_NOTEBOOK = REPO_ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
PRACTICE_PATH = REPO_ROOT / "source" / ASSIGNMENT / "practice_curves.json"
LABELS_ORDER = ("diverging", "oscillating", "too_slow", "overfitting", "good")


@lru_cache(maxsize=1)
def load_bank() -> dict[str, Any]:
    """The whole bank as stored (values still encoded)."""
    return json.loads(BANK_PATH.read_text())


def curves(part: str) -> list[dict[str, Any]]:
    """The labelled curves of ``part`` ("practice" or "heldout") with float losses."""
    return [
        {**c, "train_loss": decode_values(c["train_loss"]), "val_loss": decode_values(c["val_loss"])}
        for c in load_bank()[part]["curves"]
    ]


def reference_namespace(notebook_path: Path = SOURCE_NOTEBOOK) -> dict[str, Any]:
    """The source notebook's setup and solution cells executed here: the reference rules."""
    return solution_namespace(notebook_path)


def held_out() -> HeldOut:
    """What of the bank must never reach students: the held-out curves (ids and values; runs
    that also occur in the practice curves or figures are public) and the figures' answer key."""
    bank = load_bank()
    public = [*bank["practice"]["curves"], *bank["practice"]["figures"].values()]
    heldout = bank["heldout"]["curves"]
    return HeldOut(
        ids=frozenset(c["id"] for c in heldout),
        series=tuple(tuple(c[key]) for c in heldout for key in ("train_loss", "val_loss")),
        public_series=tuple(tuple(c[key]) for c in public for key in ("train_loss", "val_loss")),
        answer_key=dict(bank["figure_key"]),
    )
