"""What hidden checks are written with: the check contract, judging helpers, trusted runs.

An assignment's checks (``autograder/assignments/<name>/checks.py``) import from here:

* :mod:`autograder.checks.base` — :class:`Check`, :class:`CheckResult`, the judging
  helpers (:func:`as_float`, :func:`close`, :func:`forbidden_uses`) and :class:`LocalStudent`;
* :func:`evaluate` — one check with its seeded RNG, as the sealed scorer and the kernel run it;
* :mod:`autograder.checks.runs` — real training runs on the trusted side (a set-up,
  training it with given rates per step, the compact form stored runs are kept in);
* :mod:`autograder.checks.reference` — the instructor's own solution executed here.

The plain-data words a check speaks with a student's code (``Student``, ``StudentError`` …)
come from :mod:`autograder.protocol`. Nothing here knows an assignment.
"""
from __future__ import annotations

import random
from typing import Any

from autograder.checks.base import Check, CheckResult, LocalStudent, as_float, close, forbidden_uses
from autograder.protocol import Plain, Student, StudentError, StudentUnavailable

BASICS_FAILED = "The visible tests of this cell fail (see Validate), so the cell scores 0."


def evaluate(check: Check, student: Any, seed: int) -> CheckResult:
    """Run one check with an RNG seeded by ``seed``; a student failure becomes 0 with its message.

    A check whose visible cases fail scores 0, exactly as nbgrader scores a test cell
    whose visible asserts raise: in-kernel and sealed scores then agree on every answer.
    """
    rng = random.Random(seed)
    try:
        result = check.run(student, rng)
    except StudentError as err:
        return CheckResult(0.0, (f"Your code raised {err}",), basics_ok=False)
    if not result.basics_ok and result.fraction > 0:
        return CheckResult(0.0, (*result.messages, BASICS_FAILED), basics_ok=False)
    return result


__all__ = [
    "Check",
    "CheckResult",
    "LocalStudent",
    "Plain",
    "Student",
    "StudentError",
    "StudentUnavailable",
    "as_float",
    "close",
    "evaluate",
    "forbidden_uses",
]
