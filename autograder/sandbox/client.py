"""The trusted side's handle on a warm sandbox: :class:`Sandbox`.

One per grading run (the owner starts the warm parent, :mod:`autograder.sandbox.lifecycle`),
or one per process that shares it through its door (:mod:`autograder.sandbox.door`). What it
does with the warm parent goes through its :class:`~autograder.sandbox.connection.Connection`:
load an answer program (:mod:`autograder.sandbox.answers`), execute a notebook
(:mod:`autograder.sandbox.notebook`).
"""
from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from autograder import REPO_ROOT
from autograder.harness import discover
from autograder.sandbox import notebook
from autograder.sandbox.answers import SandboxedStudent
from autograder.sandbox.connection import Connection, IsolationReport
from autograder.sandbox.door import SandboxDoor
from autograder.sandbox.lifecycle import Config, ServerProcess
from autograder.sandbox.policy import Limits, Policy, build

#: Modules imported by the warm parent besides numpy/matplotlib/IPython (with submodules);
#: ``torch`` also warms the shell up with an optimizer step. Grading needs both; a test of
#: the sandbox itself may pass ``preload=()`` (starts in a fraction of the time).
DEFAULT_PRELOAD = ("torch", "lrlab")


class Sandbox:
    """A warm fork server for one grading process (see :mod:`autograder.sandbox`).

    ``wait=False`` returns as soon as the warm parent is started (it imports for seconds):
    the first request (or :attr:`isolation`) waits for it. ``harness``: the modules whose
    operations its children offer (default: every assignment's, :func:`autograder.harness.discover`).
    ``policy``: the isolation to apply (default: :func:`autograder.sandbox.policy.build` of
    ``limits``; its limits win when given).
    """

    def __init__(self, course_root: Path | str, limits: Limits = Limits(), *,
                 hide: tuple[Path | str, ...] = (), keep: tuple[Path | str, ...] = (),
                 preload: tuple[str, ...] = DEFAULT_PRELOAD, harness: tuple[str, ...] | None = None,
                 policy: Policy | None = None, start_timeout: float = 180, wait: bool = True) -> None:
        self.course_root = Path(course_root).resolve()
        policy = policy or build(limits)
        self.limits = policy.limits
        hidden = {self.course_root, REPO_ROOT, *(Path(h).resolve() for h in hide)}
        config = Config(
            policy=policy,
            hide=tuple(sorted(str(h) for h in hidden)),
            keep=tuple(str(Path(k).resolve()) for k in keep),
            preload=tuple(preload),
            harness=discover() if harness is None else tuple(harness),
            repo_root=str(REPO_ROOT),
        )
        self._server: ServerProcess | None = ServerProcess(config)
        #: The uids this sandbox's children may run as (its locked block); None without one.
        self.uids: range | None = self._server.uids
        self.server_pid: int | None = self._server.pid  # outside any PID namespace
        self._connection = Connection(self._server.control, start_timeout)
        try:
            if wait:
                self._ready()
        except BaseException:
            self.close()
            raise

    @classmethod
    def attached(cls, sock: socket.socket, limits: Limits, course_root: str, timeout: float) -> Sandbox:
        """A client of another process's warm parent over ``sock`` (see :class:`SandboxDoor`)."""
        self = cls.__new__(cls)
        self.course_root, self.limits = Path(course_root), limits
        self._server = None
        self.uids = None  # the warm parent's block is its owner's to know
        self.server_pid = None
        self._connection = Connection(sock, timeout)
        try:
            sock.send(b'{"op": "hello"}')
            self._ready()
        except BaseException:
            self.close()
            raise
        return self

    def _ready(self) -> IsolationReport:
        report = self._connection.hello()
        if self._server is not None:
            self._server.started()
        return report

    @property
    def isolation(self) -> IsolationReport:
        """What the sandbox reached on this machine (waits for the warm parent's start)."""
        return self._ready()

    def door(self) -> SandboxDoor:
        """What another grading process needs to share this warm parent."""
        if self._server is None:
            raise RuntimeError("only the process that started the sandbox can share it")
        return SandboxDoor(self._server.door, self.limits, str(self.course_root))

    @property
    def alive(self) -> bool:
        """False once the warm parent is gone (closed, or died: then make a new Sandbox)."""
        return not self._connection.closed and (self._server is None or self._server.alive)

    # ---------------------------------------------------------------- what it runs

    def load(self, program: list[tuple[str, str]]) -> SandboxedStudent:
        """Fork a child that executes ``program`` ([(label, source)]) and answers questions.

        Raises CellTimedOut (naming the cell) when one cell runs past ``limits.cell_seconds``,
        and StudentUnavailable when loading the program crashes, runs out of memory or floods
        its output.
        """
        return SandboxedStudent(self._connection, self.limits, program)

    def execute_notebook(self, nb: Any, cell_timeout: float = 30, total_timeout: float = 300,
                         files: dict[str, str] | None = None) -> notebook.ExecResult:
        """Execute every code cell of ``nb`` (a copy; outputs are replaced) in a sandboxed child.

        ``files`` (name -> text) are written into the child's working directory first.
        """
        return notebook.execute(self._connection, self.limits, nb, cell_timeout, total_timeout, files or {})

    # ---------------------------------------------------------------- lifetime

    def close(self) -> None:
        """Kill every child and the warm parent; no process survives. A client attached
        through a door closes its connection only: the warm parent kills its children."""
        connection = self._connection
        if connection.closed:
            return
        for child in list(connection.children.values()):
            child.kill()
        asked = self._server is not None and connection.said_hello
        if asked:
            connection.request({"op": "shutdown"}, quiet=True)
        connection.close()
        if self._server is not None:
            self._server.stop(asked)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass
