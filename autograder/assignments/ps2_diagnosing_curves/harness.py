"""ps2_diagnosing_curves' harness (run on the student's side; no references; see :mod:`autograder.harness`)."""
from __future__ import annotations

from typing import Any

from autograder.harness import Harness


def diagnose_arrays(namespace: dict[str, Any], train_loss: list[float], val_loss: list[float]) -> Any:
    """Call the student's ``diagnose`` with 1-D float64 numpy arrays instead of lists.

    Plain data cannot carry arrays across the boundary, so the conversion happens here.
    """
    import numpy as np

    if "diagnose" not in namespace:
        raise NameError("name 'diagnose' is not defined")
    return namespace["diagnose"](np.asarray(train_loss, dtype=float), np.asarray(val_loss, dtype=float))


HARNESS = Harness(operations={"ps2_diagnose_arrays": diagnose_arrays})
