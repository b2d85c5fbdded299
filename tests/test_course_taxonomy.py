"""One taxonomy: the names lectures 3 and 6 give their runs are problem set 2's labels.

Lecture 3 names every run of its sweep and lecture 6 names five runs with the rules that problem
set 2 asks students to write as ``diagnose``. The lectures carry no code for those rules (students
receive the lectures), so they state the names as literals; this test re-trains the same runs and
checks each literal against the reference ``diagnose`` (the source notebook's solution, run here as
trusted code by :func:`autograder.assignments.ps2_diagnosing_curves.bank.reference_namespace`). A run that stopped early counts its
missing epochs as not finite, as in the problem set's curve bank.
"""
from __future__ import annotations

import ast
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import nbformat
import pytest

import lrlab
from autograder.assignments.ps2_diagnosing_curves.bank import reference_namespace
from lrlab.sweep import run_sweep_seeds

ROOT = Path(__file__).resolve().parents[1]
LECTURE3 = ROOT / "course" / "03_lr_sweep.ipynb"
LECTURE6 = ROOT / "course" / "06_diagnosing_curves.ipynb"
PRINTED = {"too_slow": "too slow"}  # the one label the lectures print differently


def literal(notebook: Path, name: str) -> Any:
    """The value of the first top-level ``name = <literal>`` in the notebook's code cells."""
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse("\n".join(line for line in cell.source.splitlines() if not line.startswith("%")))
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                return ast.literal_eval(node.value)
    raise LookupError(f"{notebook.name} assigns no literal {name}")


@lru_cache(maxsize=1)
def rules() -> dict[str, Any]:
    """The ps2 source notebook's setup and solution (thresholds and ``diagnose``)."""
    namespace = reference_namespace()
    if "MIN_SWINGS" not in namespace:  # the rules before issue 13 counted rises, not swings
        pytest.skip("ps2's source notebook still has the rules from before issue 13; the lectures state "
                    "issue 13's rules (branch fair-assignments)")
    return namespace


def reference_label():
    diagnose = rules()["diagnose"]

    def label(history: lrlab.History, epochs: int) -> str:
        missing = [math.nan] * (epochs - history.epochs_run)
        found = diagnose(history.train_loss + missing, history.val_loss + missing)
        return PRINTED.get(found, found)

    return label


@pytest.mark.slow
def test_lecture6_names_each_run_by_the_rules() -> None:
    cases, epochs = literal(LECTURE6, "CASES"), literal(LECTURE6, "EPOCHS")
    assert list(cases) == ["good", "too slow", "oscillating", "diverging", "overfitting"]
    for name, kwargs in cases.items():
        options = {"epochs": epochs, **kwargs}
        history = lrlab.run(verbose=False, **options)
        assert reference_label()(history, options["epochs"]) == name, name


@pytest.mark.slow
def test_lecture3_bands_are_the_rules_applied_to_each_seed() -> None:
    rates, epochs, bands = literal(LECTURE3, "rates"), literal(LECTURE3, "EPOCHS"), literal(LECTURE3, "BANDS")
    assert sorted(bands) == sorted(rates)
    sweeps = run_sweep_seeds(rates, epochs=epochs)
    for lr, by_seed in sweeps.items():
        assert tuple(reference_label()(h, epochs) for h in by_seed) == tuple(bands[lr]), lr


def test_lectures_3_and_6_state_the_thresholds_of_the_ps2_rules() -> None:
    ns = rules()

    def percent(x: float) -> str:
        return f"{100 * x:g} %"

    phrases = [
        f"more than {ns['DIVERGE_RATIO']:g} × the first",
        f"above {ns['DIVERGE_LOSS']:g}",
        f"more than {percent(ns['OVERFIT_RISE'])} above its lowest value",
        f"at least {ns['MIN_SWINGS']} *swings*",
        f"larger than {percent(ns['RISE_FRACTION'])} of the curve's first value",
        f"above {percent(ns['STALL_RATIO'])} of the first",
        f"the last {percent(ns['TAIL_FRACTION'])} of the epochs",
        f"more than {percent(ns['TAIL_SHARE'])} of a curve's whole drop",
        f"more than {percent(ns['OVERFIT_RISE'])} above its lowest value, and more than {ns['MIN_CHANGE']:g} above it",
        f"and by more than {ns['MIN_CHANGE']:g}",
    ]
    for lecture in (LECTURE3, LECTURE6):
        text = "\n".join(c.source for c in nbformat.read(lecture, as_version=4).cells if c.cell_type == "markdown")
        missing = [phrase for phrase in phrases if phrase not in text]
        assert not missing, f"{lecture.name} does not state: {missing}"


def test_the_literal_reader_finds_assignments_and_refuses_missing_names(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%matplotlib inline\nX = {'a': (1, 2)}\ny = len(X)")]
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    assert literal(path, "X") == {"a": (1, 2)}
    with pytest.raises(LookupError):
        literal(path, "Z")
    with pytest.raises(ValueError):
        literal(path, "y")  # not a literal
