"""A sandbox stand-in for the sealed scorer that runs TRUSTED answer sets in this process.

The program runs with every assignment's tripwires armed, as in a sandboxed child, so static
and run-time voiding are both exercised; the tripwire is undone when the scorer closes the
student. Never use it on untrusted code: that is what ``autograder.sandbox`` is for.
"""
from __future__ import annotations

import fcntl
import functools
import os

import nbformat

from autograder import assignments
from autograder.checks import LocalStudent
from autograder.checks.reference import run_program
from autograder.grading.program import answer_program
from autograder.harness import discover, load, merged, tripwire
from autograder.harness.tripwire import Hits
from autograder.sandbox.hits import HitReader
from autograder.sandbox import IsolationReport, Level, Part
from autograder.submissions import answers

HARNESS = merged(load(name) for name in discover())


class ArmedStudent(LocalStudent):
    """An answer program in this process: tripwire armed before the program and reporting to a
    socket read as the sandbox's trusted side reads it, cells that raise skipped."""

    arms_tripwire = True

    def __init__(self, program: list[tuple[str, str]]) -> None:
        ours, self._theirs = os.pipe()  # a pipe holds more small writes than a socket does
        fcntl.fcntl(self._theirs, fcntl.F_SETPIPE_SZ, 1 << 20)
        os.set_blocking(self._theirs, False)  # one thread writes and reads: never wait for ourselves
        self._report = HitReader(ours)
        tripwire.arm(HARNESS.tripwires)
        tripwire.report_to(self._theirs)
        namespace: dict = {"__name__": "__main__"}
        self.load_errors: dict[str, str] = {}
        for label, source in program:
            try:
                exec(compile(source, f"<{label}>", "exec"), namespace)  # noqa: S102 - trusted answer sets
            except Exception as exc:
                self.load_errors[label] = f"{type(exc).__name__}: {exc}"
        super().__init__(namespace, HARNESS.operations)

    def tripwire_hits(self) -> Hits:
        self._report.drain()
        return self._report.hits

    def close(self) -> None:
        tripwire.disarm_all()
        os.close(self._theirs)
        self._report.close()


class InProcessSandbox:
    """What the sealed scorer needs of a sandbox (``load(program)``), and a grader's scoring
    pass (an isolation level that hides the course, ``close``)."""

    isolation = IsolationReport(Level(frozenset({Part.MOUNTNS, Part.UID})), {})

    def load(self, program: list[tuple[str, str]]) -> ArmedStudent:
        return ArmedStudent(program)

    def close(self) -> None:
        """Nothing to stop: every program ran in this process."""


@functools.cache
def sample_namespace(assignment: str, variant: str) -> dict:
    """An answer set executed in this process after the source notebook's setup cells, as a
    sandboxed child would run it (trusted answer sets only)."""
    source = nbformat.read(assignments.get(assignment).source_notebook(), as_version=4)
    return run_program(answer_program(source, answers(assignment, variant)))
