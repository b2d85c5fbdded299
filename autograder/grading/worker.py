"""One submission from ``submitted/`` to its outcome: :meth:`Grader.grade` and its steps.

A worker process (a local pool process or a Dask worker) keeps one warm :class:`Grader`:
a connection to a sandbox fork server per course root (a local pool's processes share the
coordinator's through its door, :func:`start_worker`; a Dask worker starts its own), the
trusted-side imports, the static outputs of each release version. The coordinator (:mod:`autograder.grade`) hands every task the frozen
:class:`~autograder.grading.assignment.TrustedAssignment` it built once for the run, calls
:func:`grade_one` for the scores and, in a second pass, :func:`execute_one` for the feedback
notebooks; it alone writes the outcome records and the gradebook (step 5, record).

The steps of :meth:`Grader.grade`, each in the module named:

1. validate  — :func:`autograder.validate.validate_submission`: the file is a notebook of
   this assignment; tampering is recorded as flags.
2. normalize — :func:`autograder.grading.normalize.restore_locked_cells`: the release's
   locked and test cells, the student's answers.
3. score     — :func:`autograder.scorer.score_report`: the sealed scores (only the answer
   cells run, in a sandboxed worker; the checks judge its plain-data answers).
4. execute   — :func:`autograder.grading.execute.execute_for_feedback` (second pass).

A step that finds the submission ungradable raises
:class:`~autograder.grading.failure.GradingFailed` with its
:class:`~autograder.reasons.Reason`; :meth:`Grader.grade` catches it in one place. Any
other exception is a grader bug: the outcome fails with ``crash`` (graded again next run).
"""
from __future__ import annotations

import atexit
import contextlib
import datetime as _dt
import importlib
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from autograder.checks import ASSIGNMENTS, load_checks, trusted_imports
from autograder.course import Course
from autograder.grading.assignment import TrustedAssignment
from autograder.grading.execute import (
    CELL_TIMEOUT,
    TOTAL_TIMEOUT,
    StaticOutputs,
    execute_for_feedback,
    render_static_outputs,
)
from autograder.grading.failure import GradingFailed
from autograder.grading.normalize import restore_locked_cells
from autograder.outcome import Outcome
from autograder.reasons import Reason
from autograder.sandbox import REPO_ROOT, Limits, Sandbox, SandboxBroken, SandboxDoor
from autograder.sandbox.exposure import exposed_paths, refusal, repo_private_paths
from autograder.sandbox.policy import missing_parts
from autograder.scorer import score_report
from autograder.store import atomic_write_text, submission_hash
from autograder.validate import validate_submission

_STUDENT_ID = re.compile(r"^[A-Za-z0-9_@+\-][A-Za-z0-9_.@+\-]{0,127}$")

SandboxFactory = Callable[[str], Any]


def course_sandbox(course: Course, limits: Limits | None = None, *, wait: bool = True) -> Sandbox:
    """The sandbox that grades ``course``: its private paths hidden from student code."""
    return Sandbox(course.root, limits or Limits(), hide=course.private_paths(), wait=wait)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


@contextlib.contextmanager
def _timed(outcome: Outcome, step: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        outcome.seconds[step] = round(time.perf_counter() - start, 3)


class Grader:
    """The warm resources of one worker process; a context manager (closes its sandboxes).

    ``sandbox_factory(course_root)`` defaults to a real :class:`autograder.sandbox.Sandbox`
    with ``limits`` that hides the course's private paths.
    """

    def __init__(self, limits: Any = None, *, cell_timeout: float = CELL_TIMEOUT,
                 total_timeout: float = TOTAL_TIMEOUT, sandbox_factory: SandboxFactory | None = None,
                 door: SandboxDoor | None = None) -> None:
        self.limits = limits
        self.door = door  # the coordinator's warm sandbox, shared by its local pool
        self.cell_timeout = cell_timeout
        self.total_timeout = total_timeout
        self._factory = sandbox_factory or self._real_sandbox
        self._sandboxes: dict[str, Any] = {}
        self._courses: dict[str, Course] = {}
        self._static: dict[str, StaticOutputs] = {}  # by assignment name, for one digest each
        self.static_runs = 0  # release executions for static outputs (one per release version)
        self._warm: set[str] = set()
        self._lock = threading.Lock()
        self.require_isolation = ""  # e.g. "netns+mountns": no student code runs below it
        # True: grade even where a child could reach the instructor-only files (the
        # instructor accepts the risk); False: such a sandbox is a grader_error.
        self.allow_weak_isolation = False

    # ------------------------------------------------------------------ resources

    def course(self, root: str) -> Course:
        if root not in self._courses:
            self._courses[root] = Course(Path(root))
        return self._courses[root]

    def _real_sandbox(self, root: str) -> Any:
        if self.door is not None and Path(root).resolve() == Path(self.door.course_root):
            return self.door.open()
        return course_sandbox(self.course(root), self.limits)

    def sandbox(self, root: str) -> Any:
        """The warm sandbox of this course root; one that cannot start, isolates less than
        ``require_isolation`` asks, or leaves an instructor-only file within a child's reach
        (:mod:`autograder.sandbox.exposure`; unless ``allow_weak_isolation``) is the
        environment's failure (``grader_error``), never the student's."""
        if root not in self._sandboxes:
            try:
                self._sandboxes[root] = self._factory(root)
            except Exception as err:  # noqa: BLE001 - reported on the outcome, run goes on
                why = f"grader error: the sandbox could not start: {type(err).__name__}: {str(err)[:300]}"
                raise GradingFailed(Reason.GRADER_ERROR, flags=(why,)) from None
        sandbox = self._sandboxes[root]
        missing = missing_parts(self.require_isolation, sandbox.isolation.level)
        if missing:
            why = (f"grader error: the sandbox reached isolation {sandbox.isolation.level}, below the required "
                   f"{self.require_isolation} (missing {'+'.join(missing)})")
            raise GradingFailed(Reason.GRADER_ERROR, flags=(why,))
        if not self.allow_weak_isolation:
            level = sandbox.isolation.level
            course = self.course(root)
            exposed = exposed_paths(level, [*repo_private_paths(REPO_ROOT), *course.instructor_paths()])
            if exposed:
                raise GradingFailed(Reason.GRADER_ERROR, flags=(f"grader error: {refusal(level, exposed)}",))
        return sandbox

    def warm(self, assignment: str) -> None:
        """Import what the checks need on the trusted side BEFORE a worker starts: a worker's
        wall-clock budget runs while the scorer works too. Only what the assignment's checks
        declare (ps2's are plain Python: no torch in the trusted process at all)."""
        if assignment in self._warm:
            return
        load_checks(assignment)  # a check module that computes with torch imports lrlab first
        for name in trusted_imports(assignment):
            importlib.import_module(name)
        self._warm.add(assignment)

    def static_outputs(self, assignment: TrustedAssignment, sandbox: Any) -> StaticOutputs:
        """The release's static-output cells, rendered once per release version."""
        cached = self._static.get(assignment.name)
        if cached is None or cached.digest != assignment.digest:
            self.static_runs += 1
            cached = render_static_outputs(assignment, sandbox, self.cell_timeout, self.total_timeout)
            self._static[assignment.name] = cached
        return cached

    def close(self) -> None:
        for sandbox in self._sandboxes.values():
            with contextlib.suppress(Exception):
                sandbox.close()
        self._sandboxes.clear()

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ the steps

    def grade(self, assignment: TrustedAssignment, student: str, *, execute: bool = False) -> Outcome:
        """Exactly one outcome for ``submitted/<student>/<assignment>/``; never raises."""
        outcome = Outcome(assignment=assignment.name, student=student, status="graded", graded_at=_now())
        start = time.perf_counter()
        with self._lock:
            try:
                with _timed(outcome, "validate"):
                    submitted = self.validate(assignment, student, outcome)
                normalized = restore_locked_cells(assignment.trusted, submitted)
                with _timed(outcome, "score"):
                    self.score(assignment, normalized, outcome)
                if execute:
                    with _timed(outcome, "execute"):
                        self.execute(assignment, normalized, outcome)
            except GradingFailed as failed:
                outcome.flags.extend(failed.flags)
                outcome.fail(failed.reason, failed.detail)
            except SandboxBroken as err:  # the environment failed, never the student
                outcome.flags.append(f"grader error: {str(err)[:400]}")
                outcome.fail(Reason.GRADER_ERROR)
            except Exception as err:  # a grader bug must not stop the batch nor hide as a zero
                outcome.flags.append(f"grader error: {type(err).__name__}: {str(err)[:300]}")
                outcome.fail(Reason.CRASH)
        outcome.seconds["total"] = round(time.perf_counter() - start, 3)
        return outcome

    def validate(self, assignment: TrustedAssignment, student: str, outcome: Outcome) -> NotebookNode:
        """Step 1: the submitted notebook, or GradingFailed (tampering becomes flags)."""
        if assignment.name not in ASSIGNMENTS:
            raise GradingFailed(Reason.WRONG_ASSIGNMENT, f"Unknown assignment {assignment.name[:60]!r}.")
        if not _STUDENT_ID.match(student):
            raise GradingFailed(Reason.NOT_A_NOTEBOOK, "Invalid student id.")
        folder = self.course(assignment.course_root).path("submitted", student, assignment.name)
        validation = validate_submission(folder, assignment.trusted)
        outcome.submission_hash = validation.sha256
        outcome.flags.extend(validation.flags)
        if validation.reason is not None:
            raise GradingFailed(validation.reason, validation.detail)
        return validation.notebook

    def score(self, assignment: TrustedAssignment, normalized: NotebookNode, outcome: Outcome) -> None:
        """Step 3: the sealed scores; every check unavailable means the code could not run."""
        sandbox = self.sandbox(assignment.course_root)
        self.warm(assignment.name)
        outcome.isolation = sandbox.isolation.level
        report = score_report(assignment.name, assignment.trusted.notebook, normalized, outcome.student, sandbox)
        outcome.checks = report.checks
        outcome.flags.extend(report.flags)
        if report.all_unavailable:
            raise GradingFailed(report.unavailable[0])

    def execute(self, assignment: TrustedAssignment, normalized: NotebookNode, outcome: Outcome) -> None:
        """Step 4: the feedback run; writes ``autograded/<student>/<assignment>/``."""
        sandbox = self.sandbox(assignment.course_root)
        executed = execute_for_feedback(normalized, assignment, self.static_outputs(assignment, sandbox), sandbox,
                                        outcome, self.cell_timeout, self.total_timeout)
        course = self.course(assignment.course_root)
        target = course.path("autograded", outcome.student, assignment.name) / f"{assignment.name}.ipynb"
        atomic_write_text(target, nbformat.writes(executed), group_shared=course.group_shared)
        stamp = course.path("submitted", outcome.student, assignment.name) / "timestamp.txt"
        if stamp.is_file() and not stamp.is_symlink() and stamp.stat().st_size < 200:
            atomic_write_text(target.parent / "timestamp.txt", stamp.read_text(errors="replace"),
                              group_shared=course.group_shared)

    def execute_graded(self, assignment: TrustedAssignment, outcome: Outcome) -> Outcome:
        """The second pass for one graded outcome: validate and normalize again (cheap), then
        execute; the outcome comes back with the kernel's verdicts and flags added."""
        start = time.perf_counter()
        with self._lock:
            try:
                folder = self.course(assignment.course_root).path("submitted", outcome.student, assignment.name)
                if submission_hash(folder, assignment.name) != outcome.submission_hash:  # `grade` regrades it
                    raise GradingFailed(Reason.CRASH, flags=("the submission changed since it was graded",))
                submitted = self.validate(assignment, outcome.student, Outcome(assignment.name, outcome.student, "graded"))
                self.execute(assignment, restore_locked_cells(assignment.trusted, submitted), outcome)
            except GradingFailed as failed:
                outcome.flags.extend(f"feedback run skipped: {flag}" for flag in failed.flags or (failed.detail,))
            except Exception as err:  # noqa: BLE001 - the scores stand; the instructor sees why
                outcome.flags.append(f"feedback run failed: {type(err).__name__}: {str(err)[:300]}")
        outcome.seconds["execute"] = round(time.perf_counter() - start, 3)
        return outcome


# ---------------------------------------------------------------------- process-global worker

_GRADER: Grader | None = None
_GRADER_LOCK = threading.Lock()


def _grader(door: SandboxDoor | None = None) -> Grader:
    global _GRADER
    with _GRADER_LOCK:
        if _GRADER is None:
            _GRADER = Grader(door=door)
            atexit.register(_GRADER.close)
        return _GRADER


def start_worker(door: SandboxDoor | None, assignment: str | None) -> None:
    """Initializer of a local pool process: share the coordinator's warm sandbox through
    ``door`` and import what ``assignment``'s checks need before the first task arrives."""
    grader = _grader(door)
    if assignment in ASSIGNMENTS:
        grader.warm(assignment)


def grade_one(assignment: TrustedAssignment, student: str, require_isolation: str = "",
              allow_weak_isolation: bool = False) -> dict:
    """The JSON-able outcome (sealed scores) of one submission, for a process pool or Dask."""
    grader = _grader()
    grader.require_isolation = require_isolation
    grader.allow_weak_isolation = allow_weak_isolation
    return asdict(grader.grade(assignment, student))


def execute_one(assignment: TrustedAssignment, outcome: dict, require_isolation: str = "",
                allow_weak_isolation: bool = False) -> dict:
    """The graded outcome ``outcome`` after its feedback run (second pass), JSON-able."""
    grader = _grader()
    grader.require_isolation = require_isolation
    grader.allow_weak_isolation = allow_weak_isolation
    return asdict(grader.execute_graded(assignment, Outcome.from_dict(outcome)))
