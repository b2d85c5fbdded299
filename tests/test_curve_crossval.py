"""The cross-validation estimate of the rules' tuning protocol (autograder/assignments/ps2_diagnosing_curves/crossval.py)."""
from __future__ import annotations

from autograder.assignments.ps2_diagnosing_curves.bank import curves, reference_namespace
from autograder.assignments.ps2_diagnosing_curves.crossval import GRID, family, objective, tune


def test_family_is_the_run_without_its_rate() -> None:
    assert family({"id": "wine-sgd-h64-b32-e40-s10-lr3^-2"}) == "wine-sgd-h64-b32-e40-s10"


def test_tuning_sets_the_thresholds_it_returns_and_never_loses_ground() -> None:
    namespace = reference_namespace()
    runs = curves("practice")
    stock = objective(namespace["diagnose"], runs)
    namespace["MIN_SWINGS"] = 100  # a bad start: no run is ever called oscillating
    assert objective(namespace["diagnose"], runs) < stock
    chosen = tune(namespace, runs)
    assert set(chosen) == set(GRID)
    assert all(namespace[name] == value for name, value in chosen.items())
    assert chosen["MIN_SWINGS"] in GRID["MIN_SWINGS"]
    assert objective(namespace["diagnose"], runs) >= stock
