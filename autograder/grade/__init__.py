"""``python -m autograder grade ASSIGNMENT``: autograde every submission, in parallel, resumably.

The coordinator builds the frozen trusted assignment once
(:func:`autograder.grading.trusted.load_assignment`: release notebook cross-checked with
the gradebook, its data files) and maps the per-submission work over the class:
:func:`autograder.grading.worker.grade_one` (validate, normalize, sealed scores) returns a
JSON-able :class:`~autograder.outcome.Outcome`. Scores come first; the feedback notebooks
(``autograded/``) are executed in a second pass, :func:`execute_pending`
(:func:`autograder.grading.worker.execute_one`), with ``grade --execute`` or by ``feedback``.
One module per job:

* :mod:`autograder.grade.selection` — which submissions: those selected without a current
  record (one whose ``submission_hash`` matches the submission's bytes now);
* :mod:`autograder.grade.backends` — where the tasks run: a local pool of warm processes
  sharing one sandbox, or a Dask cluster;
* :mod:`autograder.grade.recording` — what is written: the outcome record, then the gradebook.

With ``force``, every attempt graded on arrival is regraded too and the attempt that counts
chosen again (:mod:`autograder.arrival.regrade`). A run killed at any point and started again
grades only the submissions without a current record, then re-applies every current record to the gradebook, so nothing is lost and a
deleted ``gradebook.db`` is rebuilt. Every submission ends with exactly one record; since a
crash is the grader's fault, not the student's, the next run tries those submissions again
(every other record stays until its submission changes; ``force`` regrades everything).
"""
from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from autograder import store
from autograder.course import Course
from autograder.grade import backends, recording
from autograder.grade.backends import LocalWorkers, Task, pool_size
from autograder.grade.selection import Selection, select_students
from autograder.gradebook import ensure_assignment
from autograder.lateness import sync_due_dates
from autograder.grading.trusted import load_assignment
from autograder.grading.worker import GradingJob, IsolationDemand, execute_one, grade_at, grade_one
from autograder.sandbox.policy import Level

Log = Callable[[str], None]


@dataclass(frozen=True)
class GradeOptions:
    """How a ``grade`` run goes (the command line's flags).

    ``students``: a glob of student ids; ``workers``: local processes (default: one per core,
    fewer for a small class); ``dask``: a scheduler address or ``distributed.Client`` instead
    of local processes; ``execute``: run the feedback pass right after the scores; ``force``:
    regrade even submissions with a current record; ``isolation``: what the sandbox must
    reach before any student code runs in it (a run whose sandbox falls short stops at the
    first submission as a ``grader_error``); ``progress``: a progress bar.
    """

    students: str | None = None
    workers: int | None = None
    dask: Any = None
    execute: bool = False
    force: bool = False
    isolation: IsolationDemand = IsolationDemand()
    progress: bool = True

    @classmethod
    def requiring(cls, level: str = "", allow_weak: bool = False, **options: Any) -> GradeOptions:
        """Options with the isolation the command line asks for (``netns+mountns``, say;
        ValueError for a part no level has)."""
        return cls(isolation=IsolationDemand(Level.parse(level), allow_weak), **options)


@dataclass(frozen=True)
class Tasks:
    """The functions the backends run: one submission's scores, and its feedback run; with
    ``force``, an attempt graded on arrival's scores (:mod:`autograder.arrival.regrade`)."""

    grade: Task = grade_one
    execute: Task = execute_one
    grade_at: Task = grade_at


@dataclass
class GradeSummary:
    assignment: str
    total: int = 0  # submissions selected
    current: int = 0  # already had a current outcome (skipped)
    graded: int = 0  # graded in this run (status graded)
    failed: int = 0  # failed outcomes produced in this run
    seconds: float = 0.0
    gradebook_created: bool = False
    students: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # instructor-side detail of crashes
    stopped: str = ""  # why the run stopped early (the grading environment failed), else ""


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr)


def run(course: Course, assignment: str, options: GradeOptions = GradeOptions(), *,
        tasks: Tasks | None = None, log: Log = _stderr) -> GradeSummary:
    """Grade what is missing (or everything with ``force``); with ``execute`` also run the
    feedback pass (:func:`execute_pending`) right after the scores. ``tasks``: functions of
    the caller's own instead of the grader's (then local processes start fresh, sharing
    nothing). See the module doc."""
    started = time.perf_counter()
    selection = Selection.of(course, assignment, options.students, options.force)
    summary = GradeSummary(assignment=assignment, total=len(selection.students), students=selection.students,
                           current=selection.current)
    if not selection.students:
        log(f"No submissions of {assignment} in {course.coursedir.submitted_directory}/ "
            f"(run `python -m autograder collect {assignment}` first).")
        return summary
    todo = selection.todo
    # The workers' warm start (sandbox, fork server) runs while this process sets up the gradebook.
    share = (todo or options.execute) and tasks is None and not options.dask
    with LocalWorkers(course, assignment) if share else contextlib.nullcontext() as local:
        existed = course.gradebook_exists()
        summary.gradebook_created = ensure_assignment(course, assignment) and not existed
        sync_due_dates(course, [assignment])
        if summary.gradebook_created:
            log(f"Created the gradebook ({course.db_url}) and recorded {assignment} from source/.")
        job = GradingJob(load_assignment(course, assignment), options.isolation) if todo or options.execute else None

        if todo:
            for student in todo:  # a regrade must not show last time's executed notebook
                for stale in course.path("autograded", student, assignment).glob("*.ipynb"):
                    stale.unlink()
            n_workers = pool_size(len(todo), options.workers)
            dask = options.dask
            where = f"Dask cluster {dask if isinstance(dask, str) else 'client'}" if dask else f"{n_workers} local worker(s)"
            log(f"{assignment}: {len(selection.students)} submission(s), {summary.current} already graded, "
                f"{len(todo)} to grade on {where}.")
            results = backends.run((tasks or Tasks()).grade, job, {s: s for s in todo}, n_workers, dask, local)
            recording.record_scores(course, assignment, results, selection, summary, options.progress, log)
            if options.force and not summary.stopped:  # and every attempt graded on arrival
                from autograder.arrival.regrade import regrade_attempts

                summary.stopped = regrade_attempts(course, job, todo, (tasks or Tasks()).grade_at, options.workers,
                                                   dask, local, log)
                if summary.stopped:
                    log(summary.stopped)
        else:
            log(f"{assignment}: all {len(selection.students)} submission(s) already graded (nothing changed).")

        recording.reapply_records(course, assignment, [s for s in selection.students if s not in set(todo)])
        if options.execute and not summary.stopped:
            execute_pending(course, job, selection.students, options, tasks=tasks, log=log, local=local)
    summary.seconds = time.perf_counter() - started
    return summary


def execute_pending(course: Course, job: GradingJob, students: list[str], options: GradeOptions = GradeOptions(),
                    *, tasks: Tasks | None = None, log: Log = _stderr, local: LocalWorkers | None = None) -> list[str]:
    """The feedback pass: execute the notebook of every graded submission among ``students``
    that has no ``autograded/`` notebook yet; the kernel's verdicts and flags are added to the
    outcome record and the gradebook. Returns the students whose notebook ran."""
    name = job.assignment.name
    outcomes = {s: store.read(course.root, name, s) for s in students}
    pending = {s: asdict(o) for s, o in outcomes.items()
               if o is not None and o.status == "graded"
               and not (course.path("autograded", s, name) / f"{name}.ipynb").is_file()}
    if not pending:
        return []
    n_workers = pool_size(len(pending), options.workers)
    log(f"{name}: executing {len(pending)} notebook(s) for feedback.")
    share = local is None and tasks is None and not options.dask
    with LocalWorkers(course, name) if share else contextlib.nullcontext(local) as shared:
        results = backends.run((tasks or Tasks()).execute, job, pending, n_workers, options.dask, shared)
        recording.record_feedback(course, name, results, len(pending), options.progress)
    return list(pending)


__all__ = ["GradeOptions", "GradeSummary", "Tasks", "execute_pending", "run", "select_students"]
