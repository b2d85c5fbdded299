"""Test doubles of the grading service's tasks (``grade_at``, ``execute_at``, ``warm_up``) for
tests/test_arrival.py, in a module of their own: the service's worker processes import it, and
it imports little. The toy assignment: 2 points when ``square`` returns ``x * x``.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat

from autograder import store
from autograder.outcome import CheckScore, Outcome
from autograder.reasons import Reason

A = "toy"


def fake_grade(job, item) -> dict:
    """Test double of ``grade_at``: 2 points for x * x, else 0; SLEEP sleeps; a file
    ``grader_broken`` in the course makes it a failure of the grading environment (once)."""
    student, where = item
    root = Path(job.assignment.course_root)
    with open(root / "calls.log", "a") as log:
        log.write(f"{student}/{where.submitted.parent.name}\n")
    outcome = Outcome(assignment=A, student=student, status="graded", isolation="test-double")
    broken = root / "grader_broken"
    if broken.exists():
        broken.unlink()
        outcome.flags.append("grader error: sandbox child setup failed: simulated")
        outcome.fail(Reason.GRADER_ERROR)
        return json.loads(outcome.to_json())
    path = where.submitted / f"{A}.ipynb"
    outcome.submission_hash = store.submission_hash(where.submitted, A)
    if not path.is_file():
        outcome.fail(Reason.NOT_A_NOTEBOOK)
        return json.loads(outcome.to_json())
    answer = next(c.source for c in nbformat.read(path, as_version=4).cells
                  if c.metadata.get("nbgrader", {}).get("solution"))
    if "SLEEP" in answer:
        time.sleep(0.3)
    right = "x + x" if (root / "checks_changed").exists() else "x * x"  # the instructor "fixes" the checks
    score = 2.0 if right in answer else 0.0
    outcome.checks = [CheckScore("test_square", "Squares numbers", 2.0, score,
                                 "All cases pass." if score else "square(3) returned the wrong value.", basics_ok=score > 0)]
    return json.loads(outcome.to_json())


def fake_execute(job, item) -> dict:
    """Test double of ``execute_at``: the submitted notebook as the executed one, as a careless
    task might leave it — its test cell with the source's whole text (hidden block included) and
    an output quoting the course's check module: no page may show either."""
    outcome, where = item
    root = Path(job.assignment.course_root)

    def test_cell(nb):
        return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
                    and not c.metadata["nbgrader"].get("solution"))

    nb = nbformat.read(where.submitted / f"{A}.ipynb", as_version=4)
    test = test_cell(nb)
    test.source = test_cell(nbformat.read(root / "source" / A / f"{A}.ipynb", as_version=4)).source
    check_module = (root / "autograder" / "checks" / f"{A}.py").read_text()
    test.outputs = [nbformat.v4.new_output("stream", name="stdout", text=check_module)]
    where.autograded.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, where.autograded / f"{A}.ipynb")
    return outcome


def fake_warm(job, item) -> str:
    return "test-double"
