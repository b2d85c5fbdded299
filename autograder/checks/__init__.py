"""Hidden checks, one module per assignment, and the in-kernel entry point.

A hidden test cell in ``source/`` contains only::

    from autograder.checks import run_in_kernel
    run_in_kernel("ps1_schedulers", "test_step_decay", globals())

so neither the release nor nbgrader's gradebook ever holds the cases or references.
"""
from __future__ import annotations

import hashlib
import importlib
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from autograder.checks.base import Check, CheckResult, LocalStudent, StudentError, StudentUnavailable

ASSIGNMENTS: dict[str, str] = {
    "ps1_schedulers": "autograder.checks.ps1",
    "ps2_diagnosing_curves": "autograder.checks.ps2",
    "ps3_tuning": "autograder.checks.ps3",
}


def load_checks(assignment: str) -> dict[str, Check]:
    """The checks of ``assignment`` keyed by grade id (raises ValueError if unknown)."""
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {assignment!r}; known: {', '.join(ASSIGNMENTS)}")
    module = importlib.import_module(ASSIGNMENTS[assignment])
    return {check.grade_id: check for check in module.CHECKS}


def trusted_imports(assignment: str) -> tuple[str, ...]:
    """Modules the checks of ``assignment`` import on first use (see ``TRUSTED_IMPORTS``)."""
    load_checks(assignment)
    return tuple(importlib.import_module(ASSIGNMENTS[assignment]).TRUSTED_IMPORTS)


def check_seed(assignment: str, student_id: str, grade_id: str) -> int:
    """The per-student, per-check seed for randomised cases (stable across processes)."""
    digest = hashlib.sha256(f"{assignment}\0{student_id}\0{grade_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


BASICS_FAILED = "The visible tests of this cell fail (see Validate), so the cell scores 0."


def evaluate(check: Check, student: Any, student_id: str, assignment: str) -> CheckResult:
    """Run one check with its seeded RNG; a student failure becomes 0 with its message.

    A check whose visible cases fail scores 0, exactly as nbgrader scores a test cell
    whose visible asserts raise: in-kernel and sealed scores then agree on every answer.
    """
    rng = random.Random(check_seed(assignment, student_id, check.grade_id))
    try:
        result = check.run(student, rng)
    except StudentError as err:
        return CheckResult(0.0, (f"Your code raised {err}",), basics_ok=False)
    if not result.basics_ok and result.fraction > 0:
        return CheckResult(0.0, (*result.messages, BASICS_FAILED), basics_ok=False)
    return result


def _student_id_from_cwd() -> str:
    """nbgrader autogrades in ``autograded/<student>/<assignment>``; elsewhere: 'instructor'."""
    cwd = Path.cwd()
    if cwd.parent.parent.name == "autograded":
        return cwd.parent.name
    return "instructor"


def run_in_kernel(assignment: str, grade_id: str, namespace: Mapping[str, Any]) -> float:
    """Score one check on the live kernel namespace; print its messages; return points.

    Used by hidden test cells (the value is the cell's partial-credit score). Not
    authoritative: the sealed scorer recomputes every score outside the student's process.
    """
    check = load_checks(assignment)[grade_id]
    result = evaluate(check, LocalStudent(namespace), _student_id_from_cwd(), assignment)
    for message in result.messages:
        print(message)
    points = round(check.points * result.fraction, 2)
    print(f"{check.title}: {points:g} / {check.points:g}")
    return points


__all__ = [
    "ASSIGNMENTS",
    "Check",
    "CheckResult",
    "StudentError",
    "StudentUnavailable",
    "check_seed",
    "evaluate",
    "load_checks",
    "run_in_kernel",
    "trusted_imports",
]
