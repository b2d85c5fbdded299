"""The grading service's loop: notice, decide, grade, release, promote — and carry on after a kill.

Every ``poll`` seconds it lists the exchange's inbound folder (:func:`~autograder.arrival.exchange.arrivals`;
a poll, not inotify, because the exchange lives on shared storage such as NFS, where another
machine's writes raise no local event). A submission folder with no record of its own is new:

1. **decide** — :func:`~autograder.arrival.attempts.decide` against the student's earlier
   attempts: graded as attempt n, or refused (cool-down, attempts used up, grading closed);
   the files are copied into the attempt's folder and the record written; the student can
   fetch a *being graded* (or *not graded*, with the reason) page at once;
2. **grade** — in a pool of warm worker processes sharing one warm sandbox
   (:class:`~autograder.grade.backends.LocalWorkers`, started and warmed up before the first
   submission), with one queue per student (:class:`~autograder.arrival.queue.FairQueue`):
   the same per-submission path as ``grade`` (:func:`autograder.grading.worker.grade_at`);
3. **record and release** — the attempt's outcome (created once), its late penalty
   (:mod:`autograder.lateness`), its scores page released to the student
   (:mod:`autograder.arrival.pages`), then the counting attempt promoted into ``submitted/``,
   ``outcomes/`` and the gradebook (:mod:`autograder.arrival.promote`);
4. **execute** — when no submission waits for its scores, the notebook is executed for
   feedback (:func:`autograder.grading.worker.execute_at`) and the page released again with it;
   an attempt the student has already replaced is not executed.

A failure of the grading environment (``grader_error``) is never the student's: it is logged
for the instructor (and kept in the attempt's record), the workers and their sandbox are
restarted, and the attempt is graded again after a pause. After a kill (even ``kill -9``) a
restart reads the records and carries each attempt on from its last durable step; the outcome
of an attempt is created once, so no attempt is ever graded twice on record.
"""
from __future__ import annotations

import contextlib
import fcntl
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from autograder.arrival import pages
from autograder.arrival.attempts import AttemptRecord, AttemptStore, counting, decide
from autograder.arrival.exchange import Arrival, arrivals, release_page
from autograder.arrival.promote import is_promoted, promote
from autograder.arrival.queue import FairQueue
from autograder.course import Course, CourseError
from autograder.grade.backends import LocalWorkers, Pool, pool_size
from autograder.grade.recording import accept_outcome, crashed
from autograder.grading.steps import Where
from autograder.grading.trusted import load_assignment
from autograder.grading.worker import GradingJob, IsolationDemand, execute_at, grade_at, warm_up
from autograder.lateness import LatePolicy, sync_due_dates
from autograder.outcome import Outcome
from autograder.reasons import Reason
from autograder.rules import CourseRules, course_rules, effective_policy
from autograder.submission_policy import SubmissionPolicy

Log = Callable[[str], None]
#: Pauses before grading again after the grading environment failed (then the last one, again and again).
RETRY_AFTER = (5.0, 30.0, 120.0, 600.0)
#: Times a submission the grader crashed on is tried before its ``crash`` outcome is recorded.
CRASH_TRIES = 2
#: ``--once``: give up (exit status 3) after this many failures of the grading environment in a row.
ONCE_GRADER_ERRORS = 3
#: Seconds between two looks for an assignment released since the start.
LOOK_FOR_RELEASES = 5.0


@dataclass(frozen=True)
class ServeOptions:
    """How the service runs (the command line's flags).

    ``workers``: grading processes (default: one per core); ``poll``: seconds between two looks
    at the exchange; ``once``: grade what is there, then stop; ``execute``: run the notebooks
    for the feedback pages after the scores; ``isolation``: what the sandbox must reach (as for
    ``grade``); ``status_port``: serve the status page on this port of 127.0.0.1 (the hub's
    service URL gives it when the hub starts the service).
    """

    workers: int | None = None
    poll: float = 1.0
    once: bool = False
    execute: bool = True
    isolation: IsolationDemand = IsolationDemand()
    status_port: int | None = None


@dataclass(frozen=True)
class ArrivalTasks:
    """What the worker processes run (a test passes its own, picklable)."""

    grade: Callable[[GradingJob, Any], dict] = grade_at
    execute: Callable[[GradingJob, Any], dict] = execute_at
    warm: Callable[[GradingJob, Any], str] = warm_up


@dataclass
class Running:
    """A task in flight."""

    kind: str  # "grade" or "execute"
    record: AttemptRecord
    tries: int = 1


@dataclass
class Assignment:
    """What the service holds for one assignment graded on arrival."""

    name: str
    policy: SubmissionPolicy
    job: GradingJob
    pages: pages.PageMaker
    release_mtime: float


@dataclass
class Stats:
    """What the service has done since it started (logged when it stops)."""

    noticed: int = 0
    refused: int = 0
    graded: int = 0
    executed: int = 0
    grader_errors: int = 0
    started: float = field(default_factory=time.monotonic)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class GradingService:
    """See the module doc; :meth:`run` until stopped (or, with ``once``, until idle)."""

    def __init__(self, course: Course, options: ServeOptions = ServeOptions(), *,
                 tasks: ArrivalTasks | None = None, log: Log | None = None) -> None:
        self.course = course
        self.options = options
        self.tasks = tasks or ArrivalTasks()
        self.log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
        self.rules: CourseRules = course_rules(course.config)
        self.exchange = course.exchange_root()
        if not self.exchange:
            raise CourseError("no exchange configured: set LRLAB_EXCHANGE (nbgrader's Exchange.root) to serve")
        self.attempts = AttemptStore(course.root, course.group_shared)
        self.assignments: dict[str, Assignment] = {}
        self.late = LatePolicy.of(course)
        self._late_mtime = self._extensions_mtime()
        self.known: set[str] = set()
        self.grading: FairQueue[AttemptRecord] = FairQueue()
        self.executing: deque[AttemptRecord] = deque()
        self.later: list[tuple[float, AttemptRecord]] = []  # (monotonic time, attempt) to grade again
        self.inflight: dict[Future, Running] = {}
        self.tries: dict[tuple[str, str, str], int] = {}  # grading tasks started per attempt (collateral not counted)
        self.ignored: set[str] = set()  # inbound names of assignments not graded on arrival (or not released yet)
        self.grader_errors_in_a_row = 0
        self.isolation = ""
        self._next_look = 0.0
        self.stats = Stats()
        self.local: LocalWorkers | None = None
        self.pool: Pool | None = None
        self.workers = pool_size(10**6, options.workers)
        self.stopped = ""

    # ------------------------------------------------------------------ lifetime

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT (or, with ``once``, until nothing is left to do). Returns
        the exit status: 0, or 3 when ``once`` stopped on the grading environment."""
        with self._only_service(), _terminate_as_interrupt():
            self.start()
            try:
                while not self.stopped:
                    self.step()
                    if self.options.once and self.idle:
                        break
            except KeyboardInterrupt:
                self.log("grading service: stopping (every decision and outcome so far is recorded)")
            finally:
                self.stop()
        s = self.stats
        self.log(f"grading service: {s.noticed} submission(s) noticed, {s.graded} graded, {s.refused} refused, "
                 f"{s.executed} executed, {s.grader_errors} grader error(s) in {time.monotonic() - s.started:.0f} s")
        if self.stopped:
            self.log(self.stopped)
            return 3
        return 0

    def start(self) -> None:
        """Load the assignments, start and warm up the workers, carry on what the records say."""
        for name in self.rules.arrival_assignments():
            self._load(name)
        self.log(f"grading service: {self.course.root}, exchange {self.exchange}; grading on arrival: "
                 f"{', '.join(self.assignments) or 'nothing released yet'} ({self.workers} worker(s))")
        self._start_workers()
        self._recover()

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.stop()
            self.pool = None
        if self.local is not None:
            self.local.close()
            self.local = None

    @property
    def idle(self) -> bool:
        return not (self.inflight or len(self.grading) or self.executing or self.later)

    def step(self) -> None:
        """One round: new arrivals, retries due, tasks started, results recorded."""
        self._reload_if_changed()
        self.scan()
        now = time.monotonic()
        for due, record in [x for x in self.later if x[0] <= now]:
            self.later.remove((due, record))
            self._queue(record)
        self.dispatch()
        self.collect(self.options.poll)

    # ------------------------------------------------------------------ 1. decide

    def scan(self) -> None:
        """Decide every complete submission in the exchange that has no record yet."""
        new = []
        for arrival in arrivals(self.exchange, self.course.course_id, self.known | self.ignored):
            if arrival.assignment in self.assignments:
                new.append(arrival)
            else:
                self.ignored.add(arrival.name)
        for arrival in sorted(new, key=lambda a: (a.arrived(), a.name)):
            self.notice(arrival)

    def notice(self, arrival: Arrival) -> None:
        self.known.add(arrival.name)
        existing = self.attempts.record(arrival.assignment, arrival.student, arrival.attempt_id)
        if existing is not None:  # decided before a restart: carried on by _recover
            return
        if not _valid_student(arrival.student):
            self.log(f"grading service: ignoring {arrival.name!r}: not a valid student id")
            return
        held = self.assignments[arrival.assignment]
        arrived = arrival.arrived()
        earlier = self.attempts.records(arrival.assignment, arrival.student)
        number, refused, message = decide(held.policy, arrived, earlier,
                                          self.late.extension(arrival.student, arrival.assignment))
        record = AttemptRecord(arrival.assignment, arrival.student, arrival.attempt_id, arrival.name,
                               arrival.timestamp, arrived.isoformat(), number, refused, message)
        self.attempts.copy_in(record, arrival.folder)
        self.attempts.write_record(record)
        self.stats.noticed += 1
        if refused:
            self.stats.refused += 1
            self.log(f"{record.assignment}/{record.student}: attempt {record.attempt} refused ({refused})")
            self._release(record, pages.REFUSED, held.pages.refused(record, held.policy))
        else:
            self._release(record, pages.PENDING, held.pages.pending(record, held.policy))
            self._queue(record)

    # ------------------------------------------------------------------ 2. grade

    def _queue(self, record: AttemptRecord) -> None:
        """Wait for grading: every student's first attempt before anyone's second, then by arrival."""
        self.grading.put(record.student, record, (record.number, record.arrived, record.attempt))

    def dispatch(self) -> None:
        """Start tasks on free workers: scores first, one per student at a time; notebooks
        for feedback only while no submission waits, and never on the last free worker."""
        while len(self.inflight) < self.workers:
            record = self.grading.take()
            if record is None:
                break
            self._submit("grade", record)
        spare = max(1, self.workers - 1)
        while self.executing and len(self.inflight) < self.workers and not self.grading.ready \
                and sum(r.kind == "execute" for r in self.inflight.values()) < spare:
            record = self.executing.popleft()
            if self._superseded(record):
                continue
            self._submit("execute", record)

    def _submit(self, kind: str, record: AttemptRecord) -> None:
        held = self.assignments[record.assignment]
        folder = self.attempts.folder(record.assignment, record.student, record.attempt)
        where = Where(folder / "submitted", folder / "autograded")
        if kind == "grade":
            item: Any = (record.student, where)
            task = self.tasks.grade
        else:
            outcome = self.attempts.outcome(record)
            if outcome is None or outcome.status != "graded":
                return
            item, task = (_plain(outcome), where), self.tasks.execute
        tries = 1
        if kind == "grade":
            key = (record.assignment, record.student, record.attempt)
            tries = self.tries[key] = self.tries.get(key, 0) + 1
        assert self.pool is not None
        self.inflight[self.pool.submit(task, held.job, item)] = Running(kind, record, tries)

    def collect(self, timeout: float) -> None:
        """Wait up to ``timeout`` for results and record each one."""
        if not self.inflight:
            time.sleep(timeout)
            return
        done, _ = wait(list(self.inflight), timeout=timeout, return_when=FIRST_COMPLETED)
        broken = False
        for future in done:
            running = self.inflight.pop(future, None)
            if running is None:  # requeued by a restart of the workers while recording another result
                continue
            try:
                result = future.result()
            except BrokenProcessPool:
                broken = True
                self._worker_died(running)
                continue
            except Exception as exc:  # noqa: BLE001 - the task raised: the grader's fault
                result = exc
            if running.kind == "grade":
                self.grading.done(running.record.student)
                self.on_graded(running, result)
            else:
                self.on_executed(running, result)
        if broken:
            for running in self.inflight.values():  # collateral: not blamed
                self._requeue(running)
            self.inflight.clear()
            self._restart_workers("a worker process died")

    # ------------------------------------------------------------------ 3. record and release

    def on_graded(self, running: Running, result: object) -> None:
        record = running.record
        if isinstance(result, BaseException):
            outcome = self._crash(running, f"grader error: {type(result).__name__}: {str(result)[:300]}")
            if outcome is None:
                return
        else:
            try:
                outcome = accept_outcome(result, record.assignment, record.student)
            except (TypeError, ValueError) as err:
                outcome = self._crash(running, f"unusable outcome from the grader: {str(err)[:300]}")
                if outcome is None:
                    return
        if outcome.status == "failed" and outcome.reason is Reason.GRADER_ERROR:
            self._grader_error(record, outcome)
            return
        if outcome.status == "failed" and outcome.reason is Reason.CRASH and running.tries < CRASH_TRIES:
            self.log(f"{record.assignment}/{record.student}: the grader crashed on attempt {record.attempt} "
                     f"({'; '.join(outcome.flags)[:300]}); trying again")
            self._queue(record)
            return
        self.grader_errors_in_a_row = 0
        held = self.assignments[record.assignment]
        with self.course.gradebook() as gb:
            outcome.late = self.late.assess(gb, record.student, record.assignment, record.submitted_at, outcome.score)
            if not self.attempts.write_outcome_once(record, outcome):
                self.log(f"{record.assignment}/{record.student}: attempt {record.attempt} has an outcome already")
                return
            self.stats.graded += 1
            self._release(record, pages.SCORES, held.pages.result(record, outcome, held.policy))
            self._promote_counting(gb, record.assignment, record.student)
        if self.options.execute and outcome.status == "graded":
            self.executing.append(record)

    def on_executed(self, running: Running, result: object) -> None:
        record = running.record
        try:
            outcome = accept_outcome(result, record.assignment, record.student)
        except (TypeError, ValueError) as err:
            self.log(f"{record.assignment}/{record.student}: the feedback run of attempt {record.attempt} failed "
                     f"({str(err)[:300] if not isinstance(result, BaseException) else repr(result)[:300]})")
            return
        self.stats.executed += 1
        held = self.assignments[record.assignment]
        self.attempts.replace_outcome(record, outcome)
        executed = self.attempts.folder(record.assignment, record.student, record.attempt) / "autograded" / \
            f"{record.assignment}.ipynb"
        self._release(record, pages.FULL, held.pages.result(record, outcome, held.policy, executed))
        with self.course.gradebook() as gb:
            self._promote_counting(gb, record.assignment, record.student)

    def _release(self, record: AttemptRecord, kind: str, page: str) -> None:
        """Keep the page in the attempt's folder and release it to the student."""
        from autograder.store import atomic_write_text

        folder = self.attempts.folder(record.assignment, record.student, record.attempt)
        atomic_write_text(folder / "feedback" / f"{record.assignment}.html", page, group_shared=self.course.group_shared)
        secret = (folder / "submitted" / "submission_secret.txt").read_text()
        release_page(self.exchange, self.course.course_id, secret, record.assignment, page, self.course.group_shared)
        record.released = kind
        self.attempts.write_record(record)

    def _promote_counting(self, gb: Any, assignment: str, student: str) -> None:
        held = self.assignments[assignment]
        graded = [(r, o) for r in self.attempts.records(assignment, student)
                  if r.graded and (o := self.attempts.outcome(r)) is not None]
        chosen = counting(held.policy, graded)
        if chosen is None:
            return
        outcome = next(o for r, o in graded if r.attempt == chosen.attempt)
        if not is_promoted(self.course, chosen, outcome):
            promote(self.course, self.attempts, chosen, outcome, gb, self.late)

    # ------------------------------------------------------------------ failures

    def _crash(self, running: Running, flag: str) -> Outcome | None:
        """The grader failed on this attempt: try again once, then record ``crash``."""
        record = running.record
        if running.tries < CRASH_TRIES:
            self.log(f"{record.assignment}/{record.student}: {flag}; trying attempt {record.attempt} again")
            self._queue(record)
            return None
        self.log(f"{record.assignment}/{record.student}: {flag}; attempt {record.attempt} recorded as crash")
        return crashed(record.assignment, record.student, flag)

    def _grader_error(self, record: AttemptRecord, outcome: Outcome) -> None:
        """The grading environment failed: for the instructor, never the student; again later."""
        why = next((f for f in outcome.flags if f.startswith("grader error")), "grader error")
        self.stats.grader_errors += 1
        self.grader_errors_in_a_row += 1
        record.grader_errors.append(f"{_utc_now().isoformat(timespec='seconds')} {why[:400]}")
        pause = RETRY_AFTER[min(len(record.grader_errors), len(RETRY_AFTER)) - 1]
        self.log(f"GRADER ERROR on {record.assignment}/{record.student} attempt {record.attempt}: {why[:400]} "
                 f"-- not the student's fault; the workers restart and it is graded again in {pause:g} s")
        held = self.assignments[record.assignment]
        self._release(record, pages.PENDING, held.pages.pending(record, held.policy, retrying=True))
        if self.options.once and self.grader_errors_in_a_row >= ONCE_GRADER_ERRORS:
            self.stopped = f"serve --once stopped: the grading environment failed {self.grader_errors_in_a_row} times ({why[:300]})"
            return
        self.later.append((time.monotonic() + pause, record))
        self._restart_workers("the grading environment failed")

    def _worker_died(self, running: Running) -> None:
        record = running.record
        if running.kind == "grade":
            self.grading.done(record.student)
            if running.tries >= CRASH_TRIES:
                self.on_graded(Running("grade", record, running.tries),
                               RuntimeError("the worker process died twice on this submission"))
                return
            self._queue(record)
        else:
            self.log(f"{record.assignment}/{record.student}: the worker died executing attempt {record.attempt}")

    def _requeue(self, running: Running) -> None:
        """A task stopped through no fault of its own: queued again, its try not counted."""
        if running.kind == "grade":
            self.tries[(running.record.assignment, running.record.student, running.record.attempt)] -= 1
            self.grading.done(running.record.student)
            self._queue(running.record)
        else:
            self.executing.appendleft(running.record)

    # ------------------------------------------------------------------ workers

    def _start_workers(self) -> None:
        names = list(self.assignments)
        if self.tasks == ArrivalTasks():
            self.local = LocalWorkers(self.course, *names)
            self.pool = self.local.pool(self.workers)
        else:  # a test's own tasks: plain processes, nothing shared
            self.pool = Pool(self.workers, multiprocessing.get_context("spawn"))
        # Warm every worker now (sandbox connection, the checks' imports): the first submission
        # must not pay for them.
        if names:
            job = self.assignments[names[0]].job
            warming = [self.pool.submit(self.tasks.warm, job, None) for _ in range(self.workers)]
            for future in warming:
                try:
                    level = future.result()
                except Exception as err:  # noqa: BLE001 - reported; grading reports it per attempt too
                    self.log(f"GRADER ERROR while warming up: {type(err).__name__}: {str(err)[:300]}")
                else:
                    self.isolation = level
            self.log(f"grading service: {self.workers} worker(s) warm (isolation {self.isolation or 'unknown'})")

    def _restart_workers(self, why: str) -> None:
        self.log(f"grading service: restarting the workers ({why})")
        for running in self.inflight.values():
            self._requeue(running)
        self.inflight.clear()
        self.stop()
        self._start_workers()

    # ------------------------------------------------------------------ assignments, restart

    def _load(self, name: str) -> None:
        """Hold ``name`` for grading once it is released (its release notebook, and nbgrader's
        gradebook knows it: the service never creates a gradebook the instructor's release is
        about to create)."""
        from nbgrader.api import MissingEntry

        release = self.course.path("release", ".", name) / f"{name}.ipynb"
        if not release.is_file() or not self.course.gradebook_exists():
            return
        sync_due_dates(self.course, [name])
        with self.course.gradebook() as gb:
            try:
                assignment = gb.find_assignment(name)
            except MissingEntry:
                return
            due, released = assignment.duedate, bool(assignment.notebooks)
        if not released:
            return
        policy = effective_policy(self.rules, name, due)
        job = GradingJob(load_assignment(self.course, name), self.options.isolation)
        self.assignments[name] = Assignment(name, policy, job, pages.PageMaker(self.course, name, self.rules.status_url),
                                            release.stat().st_mtime)

    def _reload_if_changed(self) -> None:
        """A re-released assignment (or one released since the start), a changed extensions file."""
        now = time.monotonic()
        for name in self.rules.arrival_assignments():
            release = self.course.path("release", ".", name) / f"{name}.ipynb"
            held = self.assignments.get(name)
            if held is None and now < self._next_look:
                continue
            if release.is_file() and (held is None or release.stat().st_mtime != held.release_mtime):
                self._load(name)
                if name not in self.assignments:
                    continue
                self.log(f"grading service: {'now grading' if held is None else 'reloaded'} {name} (released)")
                self.ignored = {n for n in self.ignored if f"+{name}+" not in n}
                if held is None and self.pool is not None:
                    self._restart_workers(f"{name} is new")
                    self._recover({name})
        if now >= self._next_look:
            self._next_look = now + LOOK_FOR_RELEASES
        if self._extensions_mtime() != self._late_mtime:
            self.late, self._late_mtime = LatePolicy.of(self.course), self._extensions_mtime()

    def _extensions_mtime(self) -> float | None:
        path = self.course.root / self.rules.extensions
        return path.stat().st_mtime if path.is_file() else None

    def _recover(self, only: set[str] | None = None) -> None:
        """Carry every recorded attempt (of ``only`` these assignments) on from its last durable
        step (after a stop or a kill)."""
        pending = 0
        students: set[tuple[str, str]] = set()
        for record in self.attempts.records():
            if record.assignment not in self.assignments or (only is not None and record.assignment not in only):
                continue
            self.known.add(record.inbound)
            held = self.assignments[record.assignment]
            if record.refused:
                if record.released != pages.REFUSED:
                    self._release(record, pages.REFUSED, held.pages.refused(record, held.policy))
                continue
            outcome = self.attempts.outcome(record)
            if outcome is None:
                self._queue(record)
                pending += 1
                continue
            students.add((record.assignment, record.student))
            if record.released not in (pages.SCORES, pages.FULL):
                self._release(record, pages.SCORES, held.pages.result(record, outcome, held.policy))
            if self.options.execute and record.released != pages.FULL and outcome.status == "graded":
                self.executing.append(record)
        if students:
            with self.course.gradebook() as gb:
                for assignment, student in sorted(students):
                    self._promote_counting(gb, assignment, student)
        if pending:
            self.log(f"grading service: {pending} recorded attempt(s) to grade, from before the restart")

    def _superseded(self, record: AttemptRecord) -> bool:
        """The student has a newer graded attempt: executing this one's notebook helps nobody now."""
        newer = [r for r in self.attempts.records(record.assignment, record.student)
                 if r.graded and (r.arrived, r.attempt) > (record.arrived, record.attempt)]
        return bool(newer)

    @contextlib.contextmanager
    def _only_service(self):
        """One grading service per course: an exclusive lock on ``attempts/.service.lock``
        (released by the kernel when the process dies, even by ``kill -9``)."""
        self.attempts.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.attempts.root / ".service.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise CourseError(f"another grading service is running for {self.course.root}") from None
        try:
            yield
        finally:
            os.close(fd)


def _plain(outcome: Outcome) -> dict:
    import json

    return json.loads(outcome.to_json())


def _valid_student(student: str) -> bool:
    from autograder.grading.steps import _STUDENT_ID

    return bool(_STUDENT_ID.match(student))


@contextlib.contextmanager
def _terminate_as_interrupt():
    """SIGTERM (the hub stopping its services) stops the loop like Ctrl-C."""
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(course: Course, options: ServeOptions = ServeOptions(), *, log: Log | None = None) -> int:
    """``python -m autograder serve``: the service, and its status page when asked for."""
    from autograder.arrival import status

    service = GradingService(course, options, log=log)
    with status.serving(course, service, options.status_port, log=service.log):
        return service.run()

