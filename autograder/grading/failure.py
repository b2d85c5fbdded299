"""The one exception of the grading path: this submission cannot be graded, and why."""
from __future__ import annotations

from autograder.reasons import Reason, not_graded


class GradingFailed(Exception):
    """Raised by a step; :meth:`autograder.grading.worker.Grader.run` turns it into a failed
    outcome. ``detail`` is student-safe (default: the reason's sentence); ``flags`` are for
    the instructor (e.g. what went wrong in the grading environment)."""

    def __init__(self, reason: Reason, detail: str = "", flags: tuple[str, ...] = ()) -> None:
        self.reason = reason
        self.detail = detail or not_graded(reason)
        self.flags = flags
        super().__init__(f"{reason}: {self.detail}")
