"""``python -m autograder grade ASSIGNMENT``: autograde every submission, in parallel, resumably.

The coordinator builds the frozen trusted assignment once
(:func:`autograder.grading.assignment.load_assignment`: release notebook cross-checked with
the gradebook, its data files) and maps the per-submission work over the class:
:func:`autograder.grading.worker.grade_one` (validate, normalize, sealed scores) returns a
JSON-able :class:`~autograder.outcome.Outcome`. Scores come first; the feedback notebooks
(``autograded/``) are executed in a second pass, :func:`execute_pending`
(:func:`autograder.grading.worker.execute_one`), with ``grade --execute`` or by ``feedback``.
Both passes run

* locally on a process pool, one process per core (fewer for a small class,
  :func:`pool_size`); the processes are forked warm from one fork server and share one
  sandbox warm parent, both started before the coordinator's own set-up
  (:class:`LocalWorkers`); each keeps one warm ``Grader``, so nothing is paid per student twice;
* or on a Dask distributed cluster (``--dask ADDRESS``): the same functions, the course root
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

import contextlib
import fnmatch
import functools
import math
import multiprocessing
import os
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from autograder import store
from autograder.course import Course, CourseError
from autograder.gradebook import ensure_assignment, write_outcome
from autograder.grading.assignment import TrustedAssignment, load_assignment
from autograder.outcome import Outcome
from autograder.reasons import GRADER_SIDE, Reason
from autograder.sandbox.policy import missing_parts

#: ``task(assignment, student) -> outcome dict`` (pass 1) or ``task(assignment, outcome dict)`` (pass 2).
Task = Callable[[TrustedAssignment, object], dict]


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
    stopped: str = ""  # why the run stopped early (the grading environment failed), else ""


def default_task() -> Task:
    """:func:`autograder.grading.worker.grade_one` (imported lazily: it brings the checks)."""
    from autograder.grading.worker import grade_one

    return grade_one


def default_execute_task() -> Task:
    """:func:`autograder.grading.worker.execute_one`, the feedback pass."""
    from autograder.grading.worker import execute_one

    return execute_one


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


def crashed(assignment: str, student: str, flag: str) -> Outcome:
    """The outcome of a submission the grader itself failed on (graded again next run)."""
    outcome = Outcome(assignment=assignment, student=student, status="failed", flags=[flag], graded_at=utc_now())
    outcome.fail(Reason.CRASH)
    return outcome


def normalize(result: object, assignment: str, student: str) -> Outcome:
    """Turn what the task returned into a trustworthy Outcome (or raise ValueError)."""
    if isinstance(result, Outcome):
        outcome = result
    elif isinstance(result, dict):
        outcome = Outcome.from_dict(result)  # ValueError on an unknown reason
    else:
        raise ValueError(f"the task returned {type(result).__name__}, not an outcome")
    if (outcome.assignment, outcome.student) != (assignment, student):
        raise ValueError(f"outcome is for {outcome.assignment}/{outcome.student}")
    if outcome.status not in ("graded", "failed"):
        raise ValueError(f"unknown status {outcome.status!r}")
    if outcome.status == "failed" and outcome.reason is None:
        raise ValueError("a failed outcome without a reason")
    for check in outcome.checks:
        if not (math.isfinite(check.score) and math.isfinite(check.points) and 0 <= check.score <= check.points):
            raise ValueError(f"check {check.grade_id}: score {check.score!r} not in [0, {check.points!r}]")
    return outcome


def is_current(outcome: Outcome | None, submission_hash: str) -> bool:
    """A record that need not be regraded: same submission bytes, and not the grader's own
    failure (``crash``, ``grader_error``: a rerun tries again)."""
    return (outcome is not None and outcome.submission_hash == submission_hash
            and not (outcome.status == "failed" and outcome.reason in GRADER_SIDE))


# --------------------------------------------------------------------------- backends


#: A local worker is started only for at least this many submissions: even warm, it costs
#: about as much as grading a few (a class of 3 is graded fastest by one worker).
SUBMISSIONS_PER_WORKER = 4


def pool_size(submissions: int, workers: int | None = None) -> int:
    """Local worker processes for ``submissions``: ``workers`` if given, else one per core but
    no more than the class size makes worth starting (:data:`SUBMISSIONS_PER_WORKER`)."""
    if workers:
        return max(1, min(workers, submissions))
    return max(1, min(os.cpu_count() or 1, math.ceil(submissions / SUBMISSIONS_PER_WORKER)))


class LocalWorkers:
    """What every local pool process of one run shares, started before the coordinator's own
    set-up so that both proceed at once:

    * ONE warm sandbox parent (imports torch, IPython, … for seconds), owned by this process;
      each pool process connects to it through its door instead of starting its own;
    * a fork server that imports the trusted side (nbgrader, the assignment's checks) once;
      every pool process is forked from it, warm. It is a fresh interpreter, never a fork of
      this process, so the coordinator's gradebook connections are not inherited.

    A context manager: closing it stops the sandbox (and every child it still has).
    """

    def __init__(self, course: Course, assignment: str) -> None:
        from multiprocessing import forkserver

        from autograder.checks import ASSIGNMENTS
        from autograder.grading.worker import course_sandbox

        self.assignment = assignment
        self.context = multiprocessing.get_context("forkserver")
        preload = ["autograder.grading.worker"]
        if assignment in ASSIGNMENTS:
            preload.append(ASSIGNMENTS[assignment])
        self.context.set_forkserver_preload(preload)  # effective when the fork server starts (once)
        forkserver.ensure_running()
        self.sandbox = course_sandbox(course, wait=False)

    def pool(self, workers: int) -> ProcessPoolExecutor:
        from autograder.grading.worker import start_worker

        return ProcessPoolExecutor(max_workers=workers, mp_context=self.context, initializer=start_worker,
                                   initargs=(self.sandbox.door(), self.assignment))

    def close(self) -> None:
        self.sandbox.close()

    def __enter__(self) -> LocalWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _spawned_pool(workers: int) -> ProcessPoolExecutor:
    """A plain pool of fresh interpreters (a task of the caller's: nothing to share)."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def run_local(task: Task, assignment: TrustedAssignment, items: dict[str, object],
              workers: int, local: LocalWorkers | None = None) -> Iterator[tuple[str, object]]:
    """Yield ``(student, result or exception)`` of ``task(assignment, items[student])`` from a
    local process pool (sharing ``local``'s warm start when given).

    At most ``workers`` submissions are in flight, so a worker process that dies (which
    breaks a ``ProcessPoolExecutor``) can only be blamed on the few it was running: they
    are retried once in a fresh pool, then recorded as ``crash``.
    """
    new_pool = local.pool if local is not None else _spawned_pool  # never fork the coordinator's DB handles
    pending = deque(items)
    attempts: Counter[str] = Counter()
    pool = new_pool(workers)
    inflight: dict = {}
    try:
        while pending or inflight:
            while pending and len(inflight) < workers:
                student = pending.popleft()
                inflight[pool.submit(task, assignment, items[student])] = student
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
                pool = new_pool(workers)
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


def run_dask(task: Task, assignment: TrustedAssignment, items: dict[str, object],
             address) -> Iterator[tuple[str, object]]:
    """Yield ``(student, result or exception)`` of ``task(assignment, items[student])`` from a
    Dask distributed cluster.

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
        students = list(items)
        shared = client.scatter(assignment, broadcast=True)
        futures = client.map(task, [shared] * len(students), [items[s] for s in students],
                             key=[f"lrlab-{_task_name(task)}-{assignment.name}-{s}-{stamp}" for s in students],
                             pure=False)
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


def _task_name(task: Task) -> str:
    return getattr(task, "__name__", None) or getattr(getattr(task, "func", None), "__name__", "task")


# --------------------------------------------------------------------------- the command


def run(
    course: Course,
    assignment: str,
    *,
    students: str | None = None,
    workers: int | None = None,
    dask=None,
    task: Task | None = None,
    execute: bool = False,
    execute_task: Task | None = None,
    force: bool = False,
    require_isolation: str = "",
    allow_weak_isolation: bool = False,
    progress: bool = True,
    log=None,
) -> GradeSummary:
    """Grade what is missing (or everything with ``force``); with ``execute`` also run the
    feedback pass (:func:`execute_pending`) right after the scores. ``require_isolation``
    (parts of a level, e.g. ``netns+mountns+pidns``): no student code runs in a sandbox that
    lacks one of them — the first submission stops the run as a ``grader_error``; so does a
    sandbox that leaves an instructor-only file within a child's reach
    (:mod:`autograder.sandbox.exposure`) unless ``allow_weak_isolation``. See the module doc."""
    log = log or (lambda msg: print(msg, file=sys.stderr))
    # Local pool processes share one warm start unless the caller brings tasks of its own.
    own_tasks = task is None and (execute_task is None or not execute)
    if require_isolation:
        try:
            missing_parts(require_isolation, "")
        except ValueError as err:
            raise CourseError(f"--require-isolation: {err}") from None
    if require_isolation or allow_weak_isolation:
        settings = {"require_isolation": require_isolation, "allow_weak_isolation": allow_weak_isolation}
        task = task or functools.partial(default_task(), **settings)
        execute_task = execute_task or functools.partial(default_execute_task(), **settings)
    started = time.perf_counter()
    selected = select_students(course, assignment, students)
    summary = GradeSummary(assignment=assignment, total=len(selected), students=selected)
    if not selected:
        log(f"No submissions of {assignment} in {course.coursedir.submitted_directory}/ "
            f"(run `python -m autograder collect {assignment}` first).")
        return summary

    hashes = {s: store.submission_hash(course.path("submitted", s, assignment), assignment) for s in selected}
    previous = {s: store.read(course.root, assignment, s) for s in selected}
    todo = [s for s in selected if force or not is_current(previous[s], hashes[s])]
    summary.current = len(selected) - len(todo)
    # The workers' warm start (sandbox, fork server) runs while this process sets up the gradebook.
    with (LocalWorkers(course, assignment) if (todo or execute) and own_tasks and not dask
          else contextlib.nullcontext()) as local:
        existed = course.gradebook_exists()
        summary.gradebook_created = ensure_assignment(course, assignment) and not existed
        if summary.gradebook_created:
            log(f"Created the gradebook ({course.db_url}) and recorded {assignment} from source/.")
        trusted = load_assignment(course, assignment) if todo or execute else None

        if todo:
            for student in todo:  # a regrade must not show last time's executed notebook
                for stale in course.path("autograded", student, assignment).glob("*.ipynb"):
                    stale.unlink()
            n_workers = pool_size(len(todo), workers)
            where = f"Dask cluster {dask if isinstance(dask, str) else 'client'}" if dask else f"{n_workers} local worker(s)"
            log(f"{assignment}: {len(selected)} submission(s), {summary.current} already graded, "
                f"{len(todo)} to grade on {where}.")
            results = _backend(task or default_task(), trusted, {s: s for s in todo}, n_workers, dask, local)
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
        if execute and not summary.stopped:
            execute_pending(course, trusted, selected, workers=workers, dask=dask, task=execute_task,
                            progress=progress, log=log, local=local)
    summary.seconds = time.perf_counter() - started
    return summary


def _backend(task: Task, assignment: TrustedAssignment, items: dict[str, object], workers: int,
             dask, local: LocalWorkers | None = None) -> Iterator[tuple[str, object]]:
    return run_dask(task, assignment, items, dask) if dask else run_local(task, assignment, items, workers, local)


def execute_pending(
    course: Course,
    assignment: TrustedAssignment,
    students: list[str],
    *,
    workers: int | None = None,
    dask=None,
    task: Task | None = None,
    progress: bool = True,
    log=None,
    local: LocalWorkers | None = None,
    allow_weak_isolation: bool = False,
) -> list[str]:
    """The feedback pass: execute the notebook of every graded submission among ``students``
    that has no ``autograded/`` notebook yet; the kernel's verdicts and flags are added to the
    outcome record and the gradebook. Returns the students whose notebook ran.
    ``allow_weak_isolation``: see :func:`run`."""
    log = log or (lambda msg: print(msg, file=sys.stderr))
    name = assignment.name
    outcomes = {s: store.read(course.root, name, s) for s in students}
    pending = {s: asdict(o) for s, o in outcomes.items()
               if o is not None and o.status == "graded"
               and not (course.path("autograded", s, name) / f"{name}.ipynb").is_file()}
    if not pending:
        return []
    n_workers = pool_size(len(pending), workers)
    log(f"{name}: executing {len(pending)} notebook(s) for feedback.")
    with (LocalWorkers(course, name) if local is None and task is None and not dask
          else contextlib.nullcontext(local)) as shared:
        task = task or functools.partial(default_execute_task(), allow_weak_isolation=allow_weak_isolation)
        results = _backend(task, assignment, pending, n_workers, dask, shared)
        _record_feedback(course, name, results, len(pending), progress)
    return list(pending)


def _record_feedback(course: Course, name: str, results: Iterator[tuple[str, object]], total: int,
                     progress: bool) -> None:
    """Write each feedback run's outcome (the kernel's verdicts added) to its record and the gradebook."""
    from tqdm import tqdm

    with course.gradebook() as gb, tqdm(total=total, desc=f"execute {name}", unit="sub",
                                        disable=not progress, file=sys.stderr, dynamic_ncols=True) as bar:
        for student, result in results:
            try:
                outcome = normalize(result, name, student)
            except (TypeError, ValueError) as err:
                bar.write(f"  {student}: the feedback run failed ({str(err)[:300]})", file=sys.stderr)
                bar.update(1)
                continue  # the scores stand; feedback shows no notebook for this student
            store.write(course.root, outcome, group_shared=course.group_shared)
            write_outcome(gb, course, outcome)
            bar.update(1)


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
                if outcome.status == "failed" and outcome.reason is Reason.GRADER_ERROR:
                    summary.stopped = _stop_on_grader_error(course, outcome, previous.get(student))
                    summary.failed += 1
                    bar.close()
                    log(summary.stopped)
                    return
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
        results.close()  # stops the pool (or cancels the cluster's tasks) when stopped early


def _stop_on_grader_error(course: Course, outcome: Outcome, previous: Outcome | None) -> str:
    """The grading environment failed on ``outcome``'s submission: no score is written (the
    gradebook and any earlier record stay as they were; a first record says what happened,
    and the next run grades it again). Returns the one line that stops the run."""
    if previous is None:
        store.write(course.root, outcome, group_shared=course.group_shared)
    why = next((f for f in outcome.flags if f.startswith("grader error")), "grader error")
    return (f"grade stopped: the grading environment failed on {outcome.student} ({why[:600]}); "
            f"no score was written. Fix the environment, then run the same command again.")


def _to_outcome(result, assignment, student, summary, bar) -> Outcome:
    if isinstance(result, BaseException):
        summary.errors[student] = f"{type(result).__name__}: {result}"
        bar.write(f"  {student}: grader error ({type(result).__name__}: {str(result)[:300]})", file=sys.stderr)
        return crashed(assignment, student, f"grader error: {type(result).__name__}: {str(result)[:300]}")
    try:
        return normalize(result, assignment, student)
    except (TypeError, ValueError) as err:
        summary.errors[student] = f"unusable outcome: {err}"
        bar.write(f"  {student}: unusable outcome from the grader ({err})", file=sys.stderr)
        return crashed(assignment, student, f"unusable outcome from the grader: {str(err)[:300]}")
