"""The one record every graded (or failed) submission ends with.

Plain dataclasses that serialise to JSON: the per-submission task returns an ``Outcome``,
the coordinating process stores it (``outcomes/<assignment>/<student>.json``) and writes the
scores into nbgrader's gradebook. A failed submission carries its reason; it never reads as
a silent zero.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Literal

Status = Literal["graded", "failed"]
# Why a submission could not be graded at all (status == "failed").
FAILURE_REASONS = (
    "not_a_notebook",  # no .ipynb, or a file that is not JSON
    "invalid_notebook",  # JSON but not a valid notebook
    "wrong_assignment",  # cells of another assignment
    "missing_cells",  # graded cells deleted so nothing can be scored
    "timeout",  # the whole submission exceeded its wall-clock budget
    "kernel_died",  # the process executing the notebook ended abruptly
    "memory",  # killed for exceeding the memory limit
    "crash",  # the grader failed on this submission (bug or infrastructure)
)
# What a student reads for each reason (feedback pages, the LMS's feedback column).
REASON_TEXT = {
    "not_a_notebook": "The submission is not a Jupyter notebook (or not valid JSON).",
    "invalid_notebook": "The submitted file is not a valid notebook.",
    "wrong_assignment": "The submitted notebook belongs to another assignment.",
    "missing_cells": "Graded cells were deleted from the notebook, so it could not be scored.",
    "timeout": "Running your notebook took longer than the time limit.",
    "kernel_died": "The process running your notebook stopped abruptly (e.g. os._exit or a crash).",
    "memory": "Your notebook used more memory than allowed.",
    "crash": "The grader could not process this submission; your instructor has been told.",
}


@dataclass
class CheckScore:
    """One autograded check: authoritative ``score`` out of ``points`` plus a safe message.

    ``kernel_passed`` is what the in-kernel visible test said (None: not executed), and
    ``basics_ok`` what the scorer found for the same visible cases.
    """

    grade_id: str
    title: str
    points: float
    score: float
    message: str = ""
    basics_ok: bool = True
    kernel_passed: bool | None = None


@dataclass
class Outcome:
    assignment: str
    student: str
    status: Status
    reason: str | None = None  # one of FAILURE_REASONS when status == "failed"
    detail: str = ""  # student-safe explanation
    checks: list[CheckScore] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # suspected tampering, human readable
    isolation: str = ""  # the sandbox level actually reached
    seconds: dict[str, float] = field(default_factory=dict)  # e.g. {"score": .4, "execute": 3.1}
    submission_hash: str = ""  # sha256 of the submitted notebook bytes
    graded_at: str = ""  # ISO timestamp (UTC)

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
        data = json.loads(text)
        data["checks"] = [CheckScore(**c) for c in data.get("checks", [])]
        return cls(**data)
