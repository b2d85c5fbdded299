"""The one record every graded (or failed) submission ends with.

Plain dataclasses that serialise to JSON: the per-submission task returns an ``Outcome``,
the coordinating process stores it (``outcomes/<assignment>/<student>.json``) and writes the
scores into nbgrader's gradebook. A failed submission carries its reason; it never reads as
a silent zero.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from autograder.reasons import Reason, not_graded

Status = Literal["graded", "failed"]


@dataclass
class CheckScore:
    """One autograded check: authoritative ``score`` out of ``points`` plus a safe message.

    ``kernel_passed`` is what the in-kernel visible test said (None: not executed),
    ``basics_ok`` what the scorer found for the same visible cases, and ``reason`` why the
    check could not be judged (the student's process was gone, or a forbidden API voided it).
    """

    grade_id: str
    title: str
    points: float
    score: float
    message: str = ""
    basics_ok: bool = True
    kernel_passed: bool | None = None
    reason: Reason | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CheckScore":
        reason = data.get("reason")
        return cls(**{**data, "reason": Reason(reason) if reason is not None else None})


@dataclass
class Late:
    """How late a submission was and what it cost, as nbgrader's late penalty judged it.

    ``seconds``: past the student's own due date (0: on time); ``due``: that due date (the
    assignment's, moved by ``extension`` seconds and ``late_days`` late days), ISO UTC;
    ``penalty``: points taken off the score (nbgrader's ``LateSubmissionPlugin``); ``rule``:
    the penalty rule in words. Built by :mod:`autograder.lateness`.
    """

    seconds: float
    due: str
    extension: float = 0.0
    late_days: int = 0
    penalty: float = 0.0
    rule: str = ""


@dataclass
class Outcome:
    assignment: str
    student: str
    status: Status
    reason: Reason | None = None  # why, when status == "failed"
    detail: str = ""  # student-safe explanation
    checks: list[CheckScore] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # suspected tampering, human readable
    isolation: str = ""  # the sandbox level actually reached
    seconds: dict[str, float] = field(default_factory=dict)  # e.g. {"score": .4, "execute": 3.1}
    submission_hash: str = ""  # sha256 of the submitted notebook bytes
    graded_at: str = ""  # ISO timestamp (UTC)
    late: Late | None = None  # lateness and its penalty, when the assignment has a due date

    @property
    def net_score(self) -> float:
        """The score after the late penalty (never below 0), as nbgrader's export computes it."""
        return round(max(0.0, self.score - (self.late.penalty if self.late else 0.0)), 2)

    @property
    def score(self) -> float:
        return round(sum(c.score for c in self.checks), 2)

    @property
    def max_score(self) -> float:
        return round(sum(c.points for c in self.checks), 2)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Outcome":
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Outcome":
        """An outcome from its JSON form (raises ValueError on an unknown reason)."""
        data = dict(data)
        data["checks"] = [c if isinstance(c, CheckScore) else CheckScore.from_dict(c) for c in data.get("checks", [])]
        data["reason"] = Reason(data["reason"]) if data.get("reason") is not None else None
        if isinstance(data.get("late"), dict):
            data["late"] = Late(**data["late"])
        return cls(**data)

    def fail(self, reason: Reason, detail: str = "") -> None:
        """Mark the submission failed; ``detail`` defaults to the reason's student text."""
        self.status, self.reason, self.detail = "failed", reason, detail or not_graded(reason)
