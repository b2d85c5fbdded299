"""The steps of one submission's path, declared once (:data:`STEPS`), and the passes that run them.

Every step has one signature, ``step(grader, submission)``: it reads and writes the
:class:`Submission` (the notebook it works on, the outcome it adds to) and uses the warm
resources of its worker process's :class:`~autograder.grading.worker.Grader`. A step that
finds the submission ungradable raises :class:`~autograder.grading.failure.GradingFailed`.

1. :func:`validate`  — the file is a notebook of this assignment
   (:mod:`autograder.grading.validate`); tampering is recorded as flags;
2. :func:`normalize` — the release's locked and test cells, the student's answers
   (:mod:`autograder.grading.normalize`);
3. :func:`score`     — the sealed scores (:mod:`autograder.grading.scorer`: only the answer
   cells run, in a sandboxed child; the checks judge its plain-data answers);
4. :func:`execute`   — the notebook run for people (:mod:`autograder.grading.execute`).

A :class:`Pass` is a selection of these, in this order: :data:`GRADE` (``grade``), then
:data:`FEEDBACK` (``grade --execute`` or ``feedback``), which runs on the outcome on record
and leaves its scores standing whatever happens.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
from nbformat import NotebookNode

from autograder import assignments
from autograder.grading.execute import execute_for_feedback
from autograder.grading.failure import GradingFailed
from autograder.grading.normalize import restore_locked_cells
from autograder.grading.scorer import score_report
from autograder.grading.trusted import TrustedAssignment
from autograder.grading.validate import validate_submission
from autograder.outcome import Outcome
from autograder.reasons import Reason
from autograder.store import atomic_write_text, submission_hash

if TYPE_CHECKING:
    from autograder.grading.worker import Grader

_STUDENT_ID = re.compile(r"^[A-Za-z0-9_@+\-][A-Za-z0-9_.@+\-]{0,127}$")


@dataclass(frozen=True)
class Where:
    """Where a submission's files are, when not in nbgrader's folders (an attempt graded on
    arrival keeps its own): the submitted folder, and the folder its executed notebook goes to."""

    submitted: Path
    autograded: Path


@dataclass
class Submission:
    """One submission on its way through a pass: what its steps share."""

    assignment: TrustedAssignment
    outcome: Outcome
    #: The outcome was recorded by an earlier pass (the feedback pass): its scores and the
    #: flags validation found are on record already.
    on_record: bool = False
    #: The submitted notebook once validated; the normalized one once normalized.
    notebook: NotebookNode | None = None
    #: Its own folders; None: ``submitted/<student>/<assignment>/`` and ``autograded/…``.
    where: Where | None = None

    @property
    def student(self) -> str:
        return self.outcome.student

    def folder(self, grader: Grader, step: str) -> Path:
        """The submission's ``submitted`` or ``autograded`` folder."""
        if self.where is not None:
            return getattr(self.where, step)
        return grader.course(self.assignment.course_root).path(step, self.student, self.assignment.name)


Step = Callable[["Grader", Submission], None]


def validate(grader: Grader, sub: Submission) -> None:
    """Step 1: the submitted notebook, or GradingFailed (tampering becomes flags). On record
    already (the feedback pass): the submission must be the one that was graded."""
    assignment = sub.assignment
    if assignment.name not in assignments.names():
        raise GradingFailed(Reason.WRONG_ASSIGNMENT, f"Unknown assignment {assignment.name[:60]!r}.")
    if not _STUDENT_ID.match(sub.student):
        raise GradingFailed(Reason.NOT_A_NOTEBOOK, "Invalid student id.")
    folder = sub.folder(grader, "submitted")
    if sub.on_record and submission_hash(folder, assignment.name) != sub.outcome.submission_hash:
        raise GradingFailed(Reason.CRASH, flags=("the submission changed since it was graded",))  # `grade` regrades it
    validation = validate_submission(folder, assignment.trusted)
    if not sub.on_record:
        sub.outcome.submission_hash = validation.sha256
        sub.outcome.flags.extend(validation.flags)
    if validation.reason is not None:
        raise GradingFailed(validation.reason, validation.detail)
    sub.notebook = validation.notebook


def normalize(grader: Grader, sub: Submission) -> None:
    """Step 2: the notebook that is scored and executed, rebuilt from the release."""
    sub.notebook = restore_locked_cells(sub.assignment.trusted, sub.notebook)


def score(grader: Grader, sub: Submission) -> None:
    """Step 3: the sealed scores; every check unavailable means the code could not run."""
    assignment, outcome = sub.assignment, sub.outcome
    sandbox = grader.sandbox(assignment.course_root)
    declared = grader.warm(assignment.name)
    outcome.isolation = str(sandbox.isolation.level)
    report = score_report(declared, assignment.trusted.notebook, sub.notebook, sandbox)
    outcome.checks = report.checks
    outcome.flags.extend(report.flags)
    if report.all_unavailable:
        raise GradingFailed(report.unavailable[0])


def execute(grader: Grader, sub: Submission) -> None:
    """Step 4: the feedback run; writes ``autograded/<student>/<assignment>/``."""
    assignment, outcome = sub.assignment, sub.outcome
    sandbox = grader.sandbox(assignment.course_root)
    executed = execute_for_feedback(sub.notebook, assignment, grader.static_outputs(assignment, sandbox), sandbox,
                                    outcome, grader.cell_timeout, grader.total_timeout)
    course = grader.course(assignment.course_root)
    target = sub.folder(grader, "autograded") / f"{assignment.name}.ipynb"
    atomic_write_text(target, nbformat.writes(executed), group_shared=course.group_shared)
    stamp = sub.folder(grader, "submitted") / "timestamp.txt"
    if stamp.is_file() and not stamp.is_symlink() and stamp.stat().st_size < 200:
        atomic_write_text(target.parent / "timestamp.txt", stamp.read_text(errors="replace"),
                          group_shared=course.group_shared)


#: Every step of a submission's path, in order.
STEPS: tuple[Step, ...] = (validate, normalize, score, execute)


@dataclass(frozen=True)
class Pass:
    """Which of :data:`STEPS` run (always in their order), on a new outcome or on the one on
    record (``on_record``: then a failure adds flags and the scores stand)."""

    name: str
    steps: frozenset[Step]
    on_record: bool = False

    @property
    def ordered(self) -> tuple[Step, ...]:
        return tuple(step for step in STEPS if step in self.steps)


#: ``grade``: validate, normalize, the sealed scores.
GRADE = Pass("grade", frozenset({validate, normalize, score}))
#: The second pass (``grade --execute``, ``feedback``): the graded submission executed for people.
FEEDBACK = Pass("feedback", frozenset({validate, normalize, execute}), on_record=True)
#: Both at once, in one process (a synthetic class in tests, a single trusted notebook).
GRADE_AND_EXECUTE = Pass("grade and execute", frozenset(STEPS))
