"""A grading worker process (a local pool process or a Dask worker) and what it runs.

A worker keeps one warm :class:`Grader`: a connection to a sandbox fork server per course
root (a local pool's processes share the coordinator's through its door,
:func:`start_worker`; a Dask worker starts its own), the trusted-side imports, the static
outputs of each release version. The coordinator (:mod:`autograder.grade`) hands every task
the frozen :class:`GradingJob` it built once for the run and calls :func:`grade_one` for the
scores and, in a second pass, :func:`execute_one` for the feedback notebooks; it alone writes
the outcome records and the gradebook. The grading service (:mod:`autograder.arrival`) runs
the same passes on an attempt kept in its own folders (:func:`grade_at`, :func:`execute_at`)
and warms each worker up before the first submission (:func:`warm_up`).

:meth:`Grader.run` runs one :class:`~autograder.grading.steps.Pass` (the steps are declared
in :mod:`autograder.grading.steps`) and catches what a step raises in one place: a
:class:`~autograder.grading.failure.GradingFailed` is the submission's reason; a
:class:`~autograder.sandbox.SandboxBroken` is the environment's (``grader_error``); any other
exception is a grader bug (``crash``, graded again next run). In the feedback pass the
scores on record stand: a failure only adds a flag saying why no notebook ran.
"""
from __future__ import annotations

import atexit
import contextlib
import datetime as _dt
import importlib
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from autograder import REPO_ROOT, assignments
from autograder.assignments import Assignment
from autograder.course import Course
from autograder.grading.execute import CELL_TIMEOUT, TOTAL_TIMEOUT, StaticOutputs, render_static_outputs
from autograder.grading.failure import GradingFailed
from autograder.grading.steps import FEEDBACK, GRADE, GRADE_AND_EXECUTE, Pass, Submission, Where
from autograder.grading.trusted import TrustedAssignment
from autograder.outcome import Outcome
from autograder.reasons import Reason
from autograder.sandbox import Level, Limits, Sandbox, SandboxBroken, SandboxDoor
from autograder.sandbox.exposure import apart_refusal, exposed_paths, refusal, repo_private_paths

SandboxFactory = Callable[[str], Any]


@dataclass(frozen=True)
class IsolationDemand:
    """What a run asks of the sandbox before any student code runs in it: at least the parts of
    ``required`` (``--require-isolation``), and, unless ``allow_weak``
    (``--allow-weak-isolation``), the instructor-only files out of a child's reach and the
    students kept apart (:attr:`Level.separates_students`)."""

    required: Level = Level()
    allow_weak: bool = False


@dataclass(frozen=True)
class GradingJob:
    """What every task of one run gets (read-only, picklable: it travels to pool and Dask workers)."""

    assignment: TrustedAssignment
    isolation: IsolationDemand = IsolationDemand()


def course_sandbox(course: Course, limits: Limits | None = None, *, wait: bool = True) -> Sandbox:
    """The sandbox that grades ``course``: its private paths hidden from student code."""
    return Sandbox(course.root, limits or Limits(), hide=course.private_paths(), wait=wait)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class Grader:
    """The warm resources of one worker process; a context manager (closes its sandboxes).

    ``sandbox_factory(course_root)`` defaults to a real :class:`autograder.sandbox.Sandbox`
    with ``limits`` that hides the course's private paths.
    """

    def __init__(self, limits: Limits | None = None, *, cell_timeout: float = CELL_TIMEOUT,
                 total_timeout: float = TOTAL_TIMEOUT, sandbox_factory: SandboxFactory | None = None,
                 door: SandboxDoor | None = None, isolation: IsolationDemand = IsolationDemand()) -> None:
        self.limits = limits
        self.door = door  # the coordinator's warm sandbox, shared by its local pool
        self.cell_timeout = cell_timeout
        self.total_timeout = total_timeout
        self.isolation = isolation
        self._factory = sandbox_factory or self._real_sandbox
        self._sandboxes: dict[str, Any] = {}
        self._courses: dict[str, Course] = {}
        self._static: dict[str, StaticOutputs] = {}  # by assignment name, for one digest each
        self.static_runs = 0  # release executions for static outputs (one per release version)
        self._warm: set[str] = set()
        self._lock = threading.Lock()

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
        the run requires, or leaves an instructor-only file or another student within a
        child's reach (:mod:`autograder.sandbox.exposure`; unless the run allows weak
        isolation) is the environment's failure (``grader_error``), never the student's."""
        if root not in self._sandboxes:
            try:
                self._sandboxes[root] = self._factory(root)
            except Exception as err:  # noqa: BLE001 - reported on the outcome, run goes on
                why = f"grader error: the sandbox could not start: {type(err).__name__}: {str(err)[:300]}"
                raise GradingFailed(Reason.GRADER_ERROR, flags=(why,)) from None
        sandbox = self._sandboxes[root]
        level: Level = sandbox.isolation.level
        missing = level.missing(self.isolation.required)
        if missing:
            why = (f"grader error: the sandbox reached isolation {level}, below the required "
                   f"{self.isolation.required} (missing {Level(frozenset(missing))})")
            raise GradingFailed(Reason.GRADER_ERROR, flags=(why,))
        if not self.isolation.allow_weak:
            course = self.course(root)
            exposed = exposed_paths(level, [*repo_private_paths(REPO_ROOT), *course.instructor_paths()])
            if exposed:
                raise GradingFailed(Reason.GRADER_ERROR, flags=(f"grader error: {refusal(level, exposed)}",))
            if not level.separates_students:
                raise GradingFailed(Reason.GRADER_ERROR, flags=(f"grader error: {apart_refusal(level)}",))
        return sandbox

    def warm(self, name: str) -> Assignment:
        """The assignment, with what its checks import on first use imported BEFORE a child
        starts (a child's wall-clock budget runs while the scorer works too). Only what the
        assignment declares (ps2's checks are plain Python: no torch in the trusted process)."""
        declared = assignments.get(name)  # a check module that computes with torch imports lrlab first
        if name not in self._warm:
            for module in declared.trusted_imports:
                importlib.import_module(module)
            self._warm.add(name)
        return declared

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

    # ------------------------------------------------------------------ the passes

    def run(self, pass_: Pass, assignment: TrustedAssignment, outcome: Outcome, where: Where | None = None) -> Outcome:
        """Run ``pass_``'s steps on one submission (in nbgrader's folders, or ``where``);
        ``outcome`` comes back completed. Never raises."""
        sub = Submission(assignment, outcome, on_record=pass_.on_record, where=where)
        start = time.perf_counter()
        with self._lock:
            try:
                for step in pass_.ordered:
                    step_start = time.perf_counter()
                    try:
                        step(self, sub)
                    finally:  # the feedback pass keeps the graded timings and adds its own total
                        if not pass_.on_record:
                            outcome.seconds[step.__name__] = round(time.perf_counter() - step_start, 3)
            except GradingFailed as failed:
                if pass_.on_record:
                    outcome.flags.extend(f"feedback run skipped: {flag}" for flag in failed.flags or (failed.detail,))
                else:
                    outcome.flags.extend(failed.flags)
                    outcome.fail(failed.reason, failed.detail)
            except SandboxBroken as err:  # the environment failed, never the student
                if pass_.on_record:
                    outcome.flags.append(f"feedback run failed: {type(err).__name__}: {str(err)[:300]}")
                else:
                    outcome.flags.append(f"grader error: {str(err)[:400]}")
                    outcome.fail(Reason.GRADER_ERROR)
            except Exception as err:  # a grader bug must not stop the batch nor hide as a zero
                if pass_.on_record:
                    outcome.flags.append(f"feedback run failed: {type(err).__name__}: {str(err)[:300]}")
                else:
                    outcome.flags.append(f"grader error: {type(err).__name__}: {str(err)[:300]}")
                    outcome.fail(Reason.CRASH)
        outcome.seconds["execute" if pass_.on_record else "total"] = round(time.perf_counter() - start, 3)
        return outcome

    def grade(self, assignment: TrustedAssignment, student: str, *, execute: bool = False,
              where: Where | None = None) -> Outcome:
        """Exactly one outcome for ``submitted/<student>/<assignment>/`` (or ``where``); never raises."""
        outcome = Outcome(assignment=assignment.name, student=student, status="graded", graded_at=_now())
        return self.run(GRADE_AND_EXECUTE if execute else GRADE, assignment, outcome, where)

    def execute_graded(self, assignment: TrustedAssignment, outcome: Outcome, where: Where | None = None) -> Outcome:
        """The feedback pass for one graded outcome: the kernel's verdicts and flags added."""
        return self.run(FEEDBACK, assignment, outcome, where)


# ---------------------------------------------------------------------- the worker process

_GRADER: Grader | None = None
_GRADER_LOCK = threading.Lock()


def _grader(door: SandboxDoor | None = None) -> Grader:
    global _GRADER
    with _GRADER_LOCK:
        if _GRADER is None:
            _GRADER = Grader(door=door)
            atexit.register(_GRADER.close)
        return _GRADER


def start_worker(door: SandboxDoor | None, *names: str) -> None:
    """Initializer of a local pool process: share the coordinator's warm sandbox through
    ``door`` and import what the assignments' checks need before the first task arrives."""
    grader = _grader(door)
    for name in names:
        if name in assignments.names():
            grader.warm(name)


def grade_one(job: GradingJob, student: str) -> dict:
    """The JSON-able outcome (sealed scores) of one submission, for a process pool or Dask."""
    grader = _grader()
    grader.isolation = job.isolation
    return asdict(grader.grade(job.assignment, student))


def execute_one(job: GradingJob, outcome: dict) -> dict:
    """The graded outcome ``outcome`` after its feedback run (second pass), JSON-able."""
    grader = _grader()
    grader.isolation = job.isolation
    return asdict(grader.execute_graded(job.assignment, Outcome.from_dict(outcome)))


def grade_at(job: GradingJob, item: tuple[str, Where]) -> dict:
    """:func:`grade_one` for a submission kept in its own folders (``item``: student, where)."""
    student, where = item
    grader = _grader()
    grader.isolation = job.isolation
    return asdict(grader.grade(job.assignment, student, where=where))


def execute_at(job: GradingJob, item: tuple[dict, Where]) -> dict:
    """:func:`execute_one` for a submission kept in its own folders (``item``: outcome, where)."""
    outcome, where = item
    grader = _grader()
    grader.isolation = job.isolation
    return asdict(grader.execute_graded(job.assignment, Outcome.from_dict(outcome), where))


def warm_up(job: GradingJob, _item: object = None) -> str:
    """Start this worker's sandbox connection and import the assignment's checks now, so that
    the first submission does not pay for them (the grading service calls it at start). Returns
    the isolation level reached."""
    grader = _grader()
    grader.isolation = job.isolation
    grader.warm(job.assignment.name)
    return str(grader.sandbox(job.assignment.course_root).isolation.level)
