"""``python -m autograder grade ASSIGNMENT``: autograde every submission, in parallel, resumably.

The per-submission work is ``autograder.task.grade_one(course_root, assignment, student)``
(validate, sealed scoring, sandboxed execution, ``autograded/`` notebook); it returns a
JSON-able :class:`~autograder.outcome.Outcome`. This module only *maps* it over the class:

* locally on a process pool, one process per core; each process keeps one warm ``Grader``
  (``grade_one`` creates it lazily and reuses it), so nothing is paid per student twice;
* or on a Dask distributed cluster (``--dask ADDRESS``): the same function, the course root
  on shared storage.

Only this coordinating process writes: the outcome record first
(``outcomes/<assignment>/<student>.json``, atomic), then nbgrader's gradebook. A run killed
at any point and started again grades only the submissions without a *current* record
(one whose ``submission_hash`` matches the submission's bytes now), then re-applies every
current record to the gradebook, so nothing is lost and a deleted ``gradebook.db`` is
rebuilt. Every submission ends with exactly one record: a grader exception, a worker that
died twice, or an unusable result becomes a ``failed`` outcome with reason ``crash`` and
never stops the batch; since a crash is the grader's fault, not the student's, the next run
tries those submissions again (every other record stays until its submission changes;
``--force`` regrades everything).
"""
from __future__ import annotations

import fnmatch
import math
import multiprocessing
import os
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timezone

from autograder import store
from autograder.gradebook import Course, CourseError, ensure_assignment, write_outcome
from autograder.outcome import FAILURE_REASONS, CheckScore, Outcome

Task = Callable[[str, str, str], dict]

CRASH_DETAIL = "The grader could not process this submission; your instructor has been told."
WORKER_DIED_DETAIL = "The grading worker stopped while grading this submission; your instructor has been told."


class WorkerDied(Exception):
    """The process running the task ended twice while holding this submission."""


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


def default_task() -> Task:
    """``autograder.task.grade_one`` (imported lazily; a clear error while it is missing)."""
    try:
        from autograder.task import grade_one
    except ModuleNotFoundError as err:
        if err.name in ("autograder.task",):
            raise CourseError("the per-submission grader (autograder/task.py) is not available yet") from None
        raise
    return grade_one


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- selection


def select_students(course: Course, assignment: str, pattern: str | None) -> list[str]:
    """Students with a submission of ``assignment``, filtered by a glob (e.g. ``'a*'``)."""
    course.require_assignment(assignment)
    students = course.submitted_students(assignment)
    if pattern is None:
        return students
    chosen = [s for s in students if fnmatch.fnmatchcase(s, pattern)]
    if not chosen:
        where = course.coursedir.submitted_directory
        have = ", ".join(students[:20]) + (" …" if len(students) > 20 else "") if students else "none"
        raise CourseError(f"no submission of {assignment} in {where}/ matches {pattern!r} (students: {have})")
    return chosen


def failure(assignment: str, student: str, reason: str, detail: str, submission_hash: str = "") -> Outcome:
    return Outcome(assignment=assignment, student=student, status="failed", reason=reason, detail=detail,
                   submission_hash=submission_hash, graded_at=utc_now())


def normalize(result: object, assignment: str, student: str) -> Outcome:
    """Turn what the task returned into a trustworthy Outcome (or raise ValueError)."""
    if isinstance(result, Outcome):
        outcome = result
    elif isinstance(result, dict):
        data = dict(result)
        data["checks"] = [c if isinstance(c, CheckScore) else CheckScore(**c) for c in data.get("checks", [])]
        outcome = Outcome(**data)
    else:
        raise ValueError(f"the task returned {type(result).__name__}, not an outcome")
    if (outcome.assignment, outcome.student) != (assignment, student):
        raise ValueError(f"outcome is for {outcome.assignment}/{outcome.student}")
    if outcome.status not in ("graded", "failed"):
        raise ValueError(f"unknown status {outcome.status!r}")
    if outcome.status == "failed" and outcome.reason not in FAILURE_REASONS:
        raise ValueError(f"unknown failure reason {outcome.reason!r}")
    for check in outcome.checks:
        if not (math.isfinite(check.score) and math.isfinite(check.points) and 0 <= check.score <= check.points):
            raise ValueError(f"check {check.grade_id}: score {check.score!r} not in [0, {check.points!r}]")
    return outcome


def is_current(outcome: Outcome | None, submission_hash: str) -> bool:
    """A record that need not be regraded: same submission bytes, and not our own crash
    (``crash`` is the grader's fault or the infrastructure's, so a rerun tries again)."""
    return (outcome is not None and outcome.submission_hash == submission_hash
            and not (outcome.status == "failed" and outcome.reason == "crash"))


# --------------------------------------------------------------------------- backends


def _call(task: Task, root: str, assignment: str, student: str) -> dict:
    """Runs in a pool process (module-level so it pickles by reference)."""
    result = task(root, assignment, student)
    return result


def run_local(task: Task, root: str, assignment: str, students: list[str], workers: int) -> Iterator[tuple[str, object]]:
    """Yield ``(student, result or exception)`` from a local process pool.

    At most ``workers`` submissions are in flight, so a worker process that dies (which
    breaks a ``ProcessPoolExecutor``) can only be blamed on the few it was running: they
    are retried once in a fresh pool, then recorded as ``crash``.
    """
    context = multiprocessing.get_context("spawn")  # never fork the coordinator's DB handles
    pending = deque(students)
    attempts: Counter[str] = Counter()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    inflight: dict = {}
    try:
        while pending or inflight:
            while pending and len(inflight) < workers:
                student = pending.popleft()
                inflight[pool.submit(_call, task, root, assignment, student)] = student
            done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                student = inflight.pop(future)
                try:
                    yield student, future.result()
                except BrokenProcessPool:
                    broken = True
                    attempts[student] += 1
                    if attempts[student] >= 2:
                        yield student, WorkerDied("the worker process died twice on this submission")
                    else:
                        pending.appendleft(student)
                except Exception as exc:  # the task raised: one crash outcome, batch goes on
                    yield student, exc
            if broken:
                for future, student in list(inflight.items()):
                    pending.appendleft(student)  # not blamed: they were collateral
                inflight.clear()
                _stop_pool(pool)
                pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    finally:
        _stop_pool(pool)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


def run_dask(task: Task, root: str, assignment: str, students: list[str], address) -> Iterator[tuple[str, object]]:
    """Yield ``(student, result or exception)`` from a Dask distributed cluster.

    ``address`` is a scheduler address (``tcp://host:8786``) or a ``distributed.Client``.
    Dask itself retries a task whose worker died (``distributed.scheduler.allowed-failures``);
    a task that keeps killing workers comes back as ``KilledWorker`` -> a crash outcome.
    """
    from distributed import Client, as_completed

    own = not isinstance(address, Client)
    client = Client(address) if own else address
    futures = []
    try:
        stamp = f"{os.getpid()}-{time.time_ns()}"
        futures = client.map(task, [root] * len(students), [assignment] * len(students), students,
                             key=[f"lrlab-grade-{assignment}-{s}-{stamp}" for s in students], pure=False)
        by_key = {f.key: s for f, s in zip(futures, students)}
        for future in as_completed(futures):
            student = by_key[future.key]
            try:
                yield student, future.result()
            except Exception as exc:
                yield student, exc
    finally:
        if futures:
            client.cancel(futures)
        if own:
            client.close()


# --------------------------------------------------------------------------- the command


def run(
    course: Course,
    assignment: str,
    *,
    students: str | None = None,
    workers: int | None = None,
    dask=None,
    task: Task | None = None,
    force: bool = False,
    progress: bool = True,
    log=None,
) -> GradeSummary:
    """Grade what is missing (or everything with ``force``); see the module doc."""
    log = log or (lambda msg: print(msg, file=sys.stderr))
    started = time.perf_counter()
    selected = select_students(course, assignment, students)
    summary = GradeSummary(assignment=assignment, total=len(selected), students=selected)
    if not selected:
        log(f"No submissions of {assignment} in {course.coursedir.submitted_directory}/ "
            f"(run `python -m autograder collect {assignment}` first).")
        return summary

    existed = course.gradebook_exists()
    summary.gradebook_created = ensure_assignment(course, assignment) and not existed
    if summary.gradebook_created:
        log(f"Created the gradebook ({course.db_url}) and recorded {assignment} from source/.")

    hashes = {s: store.submission_hash(course.path("submitted", s, assignment), assignment) for s in selected}
    previous = {s: store.read(course.root, assignment, s) for s in selected}
    todo = [s for s in selected if force or not is_current(previous[s], hashes[s])]
    summary.current = len(selected) - len(todo)

    if todo:
        task = task or default_task()
        for student in todo:  # a failed regrade must not show last time's executed notebook
            for stale in course.path("autograded", student, assignment).glob("*.ipynb"):
                stale.unlink()
        n_workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
        where = f"Dask cluster {dask if isinstance(dask, str) else 'client'}" if dask else f"{n_workers} local worker(s)"
        log(f"{assignment}: {len(selected)} submission(s), {summary.current} already graded, "
            f"{len(todo)} to grade on {where}.")
        results = (run_dask(task, str(course.root), assignment, todo, dask) if dask
                   else run_local(task, str(course.root), assignment, todo, n_workers))
        _collect(course, assignment, results, hashes, previous, summary, progress, log, len(todo))
    else:
        log(f"{assignment}: all {len(selected)} submission(s) already graded (nothing changed).")

    # Re-apply the records this run did not write: heals a gradebook that was deleted,
    # restored, or written by a run killed between a record and its gradebook write.
    with course.gradebook() as gb:
        for student in (s for s in selected if s not in set(todo)):
            outcome = store.read(course.root, assignment, student)
            if outcome is not None:
                write_outcome(gb, course, outcome)
    summary.seconds = time.perf_counter() - started
    return summary


def _collect(course, assignment, results, hashes, previous, summary, progress, log, total) -> None:
    from tqdm import tqdm

    bar = tqdm(total=total, desc=f"grade {assignment}", unit="sub", disable=not progress,
               file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
    try:
        with course.gradebook() as gb:
            for student, result in results:
                outcome = _to_outcome(result, assignment, student, summary, bar)
                outcome.submission_hash = hashes[student]
                outcome.graded_at = outcome.graded_at or utc_now()
                store.write(course.root, outcome, group_shared=course.group_shared)
                old = previous.get(student)
                write_outcome(gb, course, outcome,
                              submission_changed=old is not None and old.submission_hash != hashes[student])
                if outcome.status == "failed":
                    summary.failed += 1
                else:
                    summary.graded += 1
                bar.set_postfix(failed=summary.failed, refresh=False)
                bar.update(1)
    finally:
        bar.close()


def _to_outcome(result, assignment, student, summary, bar) -> Outcome:
    if isinstance(result, BaseException):
        summary.errors[student] = f"{type(result).__name__}: {result}"
        bar.write(f"  {student}: grader error ({type(result).__name__}: {str(result)[:300]})", file=sys.stderr)
        detail = WORKER_DIED_DETAIL if isinstance(result, WorkerDied) else CRASH_DETAIL
        return failure(assignment, student, "crash", detail)
    try:
        return normalize(result, assignment, student)
    except (TypeError, ValueError) as err:
        summary.errors[student] = f"unusable outcome: {err}"
        bar.write(f"  {student}: unusable outcome from the grader ({err})", file=sys.stderr)
        return failure(assignment, student, "crash", CRASH_DETAIL)
