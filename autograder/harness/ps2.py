"""Harness operations for ps2_diagnosing_curves (run on the student's side; no references)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any


def diagnose_arrays(namespace: dict[str, Any], train_loss: list[float], val_loss: list[float]) -> Any:
    """Call the student's ``diagnose`` with 1-D float64 numpy arrays instead of lists.

    Plain data cannot carry arrays across the boundary, so the conversion happens here.
    """
    import numpy as np

    if "diagnose" not in namespace:
        raise NameError("name 'diagnose' is not defined")
    return namespace["diagnose"](np.asarray(train_loss, dtype=float), np.asarray(val_loss, dtype=float))


OPS: dict[str, Callable[..., Any]] = {"ps2_diagnose_arrays": diagnose_arrays}
"""Harness operations for this assignment (see autograder.harness)."""
