"""Where the per-submission tasks run: a local process pool, or a Dask distributed cluster.

Both yield ``(student, result or exception)`` of ``task(job, items[student])`` as results
come in (a task is :func:`autograder.grading.worker.grade_one` or ``execute_one``, or a
caller's own, picklable):

* :func:`run_local` — one process per core (fewer for a small class, :func:`pool_size`); the
  processes are forked warm from one fork server and share one sandbox warm parent, both
  started before the coordinator's own set-up (:class:`LocalWorkers`);
* :func:`run_dask` — the same functions on a cluster (``--dask ADDRESS``), the course root on
  shared storage.
"""
from __future__ import annotations

import math
import multiprocessing
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from autograder import assignments
from autograder.course import Course
from autograder.grading.worker import GradingJob, course_sandbox, start_worker

#: ``task(job, student) -> outcome dict`` (pass 1) or ``task(job, outcome dict)`` (pass 2).
Task = Callable[[GradingJob, Any], dict]

#: A local worker is started only for at least this many submissions: even warm, it costs
#: about as much as grading a few (a class of 3 is graded fastest by one worker).
SUBMISSIONS_PER_WORKER = 4


class WorkerDied(Exception):
    """The process running the task ended twice while holding this submission."""


def pool_size(submissions: int, workers: int | None = None) -> int:
    """Local worker processes for ``submissions``: ``workers`` if given, else one per core but
    no more than the class size makes worth starting (:data:`SUBMISSIONS_PER_WORKER`)."""
    if workers:
        return max(1, min(workers, submissions))
    return max(1, min(os.cpu_count() or 1, math.ceil(submissions / SUBMISSIONS_PER_WORKER)))


class OwnedProcesses:
    """A multiprocessing context that remembers every process it starts, so the pool using it
    can be stopped for sure (``ProcessPoolExecutor`` offers no public way to its processes;
    its ``mp_context`` is where they are made)."""

    def __init__(self, context: Any) -> None:
        self._context = context
        self.processes: list[Any] = []

    def Process(self, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 - the context API's name
        process = self._context.Process(*args, **kwargs)
        self.processes.append(process)
        return process

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    def stop(self) -> None:
        """Terminate the processes still alive and wait for them (briefly)."""
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join(timeout=5)
        self.processes.clear()


class Pool:
    """A process pool whose processes this coordinator owns (:class:`OwnedProcesses`)."""

    def __init__(self, workers: int, context: Any, initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = ()) -> None:
        self.owned = OwnedProcesses(context)
        self.executor = ProcessPoolExecutor(max_workers=workers, mp_context=self.owned, initializer=initializer,
                                            initargs=initargs)

    def submit(self, task: Task, *args: Any) -> Any:
        return self.executor.submit(task, *args)

    def stop(self) -> None:
        """Stop now: pending tasks cancelled, every process ended."""
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.owned.stop()


class LocalWorkers:
    """What every local pool process of one run (of these assignments) shares, started before
    the coordinator's own set-up so that both proceed at once:

    * ONE warm sandbox parent (imports torch, IPython, … for seconds), owned by this process;
      each pool process connects to it through its door instead of starting its own;
    * a fork server that imports the trusted side (nbgrader, the assignment's checks) once;
      every pool process is forked from it, warm. It is a fresh interpreter, never a fork of
      this process, so the coordinator's gradebook connections are not inherited.

    A context manager: closing it stops the sandbox (and every child it still has).
    """

    def __init__(self, course: Course, *names: str) -> None:
        from multiprocessing import forkserver

        self.assignments = names
        self.context = multiprocessing.get_context("forkserver")
        preload = ["autograder.grading.worker"]
        preload += [f"autograder.assignments.{name}.{assignments.MODULE_NAME}" for name in names
                    if name in assignments.names()]
        self.context.set_forkserver_preload(preload)  # effective when the fork server starts (once)
        forkserver.ensure_running()
        self.sandbox = course_sandbox(course, wait=False)

    def pool(self, workers: int) -> Pool:
        return Pool(workers, self.context, start_worker, (self.sandbox.door(), *self.assignments))

    def close(self) -> None:
        self.sandbox.close()

    def __enter__(self) -> LocalWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _spawned_pool(workers: int) -> Pool:
    """A plain pool of fresh interpreters (a task of the caller's: nothing to share)."""
    return Pool(workers, multiprocessing.get_context("spawn"))


def run_local(task: Task, job: GradingJob, items: dict[str, Any], workers: int,
              local: LocalWorkers | None = None) -> Iterator[tuple[str, Any]]:
    """Results from a local process pool (sharing ``local``'s warm start when given).

    At most ``workers`` submissions are in flight, so a worker process that dies (which
    breaks a ``ProcessPoolExecutor``) can only be blamed on the few it was running: they
    are retried once in a fresh pool, then reported as :class:`WorkerDied`.
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
                inflight[pool.submit(task, job, items[student])] = student
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
                for student in inflight.values():
                    pending.appendleft(student)  # not blamed: they were collateral
                inflight.clear()
                pool.stop()
                pool = new_pool(workers)
    finally:
        pool.stop()


def run_dask(task: Task, job: GradingJob, items: dict[str, Any], address: Any) -> Iterator[tuple[str, Any]]:
    """Results from a Dask distributed cluster.

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
        shared = client.scatter(job, broadcast=True)
        futures = client.map(task, [shared] * len(students), [items[s] for s in students],
                             key=[f"lrlab-{_task_name(task)}-{job.assignment.name}-{s}-{stamp}" for s in students],
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


def run(task: Task, job: GradingJob, items: dict[str, Any], workers: int, dask: Any,
        local: LocalWorkers | None = None) -> Iterator[tuple[str, Any]]:
    """:func:`run_dask` when a cluster is given, else :func:`run_local`."""
    return run_dask(task, job, items, dask) if dask else run_local(task, job, items, workers, local)
