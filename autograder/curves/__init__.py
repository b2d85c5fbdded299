"""The ps2 curve bank: real loss curves labelled by which fix works (see README.md here).

``bank.json`` (written by ``make_bank.py``) has two parts with no set-up in common: ``practice``
(released to students as ``source/ps2_diagnosing_curves/practice_curves.json``; it also holds the
notebook's five figures, bare curves from set-ups in neither part) and ``heldout``
(instructor-only; used by the hidden checks). Each curve carries its set-up, its primary
``label`` and every right label (``labels``) from :mod:`autograder.curves.criterion`. Losses are
stored rounded to 4 significant digits with non-finite values as the strings ``"nan"``,
``"inf"``, ``"-inf"`` so the file stays strict JSON; :func:`decode_values` turns them back into
floats.
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BANK_PATH = HERE / "bank.json"
ROOT = HERE.parents[1]
ASSIGNMENT = "ps2_diagnosing_curves"
SOURCE_NOTEBOOK = ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
PRACTICE_PATH = ROOT / "source" / ASSIGNMENT / "practice_curves.json"
LABELS_ORDER = ("diverging", "oscillating", "too_slow", "overfitting", "good")


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
    """The source notebook's setup and solution cells executed here (trusted code only)."""
    import nbformat

    from autograder.submissions import answer_program, answer_sources, run_program

    notebook = nbformat.read(notebook_path, as_version=4)
    return run_program(answer_program(notebook, answer_sources(notebook)))
