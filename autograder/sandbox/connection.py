"""The trusted side's connection to a warm parent, and the children it spawns over it.

A connection is one ``SOCK_SEQPACKET`` socket: one JSON request, one JSON reply, a socket
for a new child passed along as a descriptor. The first message on it is the warm parent's
*hello* — the isolation it reached (:class:`IsolationReport`) — which every request waits
for. The owner of the warm parent connects when it starts it
(:mod:`autograder.sandbox.lifecycle`); other grading processes connect through its door
(:mod:`autograder.sandbox.door`). Each :class:`Child` is one forked process of the warm
parent, speaking JSON lines on a socket of its own (:mod:`autograder.sandbox._wire`).
"""
from __future__ import annotations

import json
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from autograder.reasons import Reason
from autograder.sandbox._wire import Channel, ChannelClosed
from autograder.sandbox.hits import HitReader
from autograder.sandbox.policy import Level


class SandboxBroken(RuntimeError):
    """The sandbox itself failed (its server died, a child could not be isolated): the
    grading environment's failure, never the student's (``grader_error``)."""


@dataclass(frozen=True)
class IsolationReport:
    """What the sandbox reached on this machine (the parts: :mod:`autograder.sandbox.policy`)."""

    level: Level
    details: dict[str, bool | str] = field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.level} ({', '.join(f'{k}={v}' for k, v in sorted(self.details.items()))})"


class Connection:
    """One control connection to a warm parent; not for use by two threads at once
    without its lock (every method takes it)."""

    def __init__(self, sock: socket.socket, start_timeout: float) -> None:
        self.sock = sock
        self.start_timeout = start_timeout
        self.lock = threading.RLock()
        self.closed = False
        self.children: dict[int, Child] = {}  # alive children spawned over this connection
        self._isolation: IsolationReport | None = None

    def hello(self) -> IsolationReport:
        """Wait for the warm parent's hello (once): what isolation it reached."""
        with self.lock:
            if self._isolation is None:
                try:
                    self.sock.settimeout(self.start_timeout)
                    data = self.sock.recv(1 << 20)
                    self.sock.settimeout(None)
                except OSError as exc:
                    raise SandboxBroken(f"sandbox server failed to start: {exc}") from exc
                hello = json.loads(data) if data else {"error": "it exited"}
                if "error" in hello:
                    raise SandboxBroken(f"sandbox server failed to start: {hello['error']}")
                details = {str(k): v for k, v in hello["details"].items() if type(v) in (bool, str, int, float)}
                self._isolation = IsolationReport(Level.parse(str(hello["level"])), details)
            return self._isolation

    @property
    def said_hello(self) -> bool:
        """Whether the warm parent's hello arrived (it serves requests from then on)."""
        return self._isolation is not None

    def request(self, payload: dict[str, Any], fds: list[int] | None = None, quiet: bool = False) -> dict[str, Any]:
        """Send one request (with descriptors) and return the reply; ``quiet``: {} on failure
        instead of :class:`SandboxBroken`."""
        with self.lock:
            try:
                if self.closed:
                    raise ChannelClosed("sandbox closed")
                self.hello()
                if fds:
                    socket.send_fds(self.sock, [json.dumps(payload).encode()], fds)
                else:
                    self.sock.send(json.dumps(payload).encode())
                self.sock.settimeout(30)
                data = self.sock.recv(1 << 16)
                self.sock.settimeout(None)
                if not data:
                    raise ChannelClosed("sandbox server is gone")
                return json.loads(data)
            except (OSError, ChannelClosed, ValueError) as exc:
                if quiet:
                    return {}
                raise SandboxBroken(f"sandbox server failed: {exc}") from exc

    def spawn(self, kind: str, report: bool = False) -> Child:
        """A new isolated child of ``kind`` ("answers" or "notebook"); ``report``: with a
        report descriptor (:mod:`autograder.sandbox.hits`)."""
        return Child(self, kind, report)

    def close(self) -> None:
        """Kill every child spawned here, then hang up (the warm parent kills what is left)."""
        with self.lock:
            if self.closed:
                return
            for child in list(self.children.values()):
                child.kill()
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass


class Child:
    """One forked child as seen from the trusted side: its socket, its pid and uid (as the
    warm parent sees them), and why it died once it did. ``report``: the trusted end of its
    report descriptor (:mod:`autograder.sandbox.hits`), for a child that arms the tripwire."""

    def __init__(self, connection: Connection, kind: str, report: bool = False) -> None:
        self.connection = connection
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pair = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM) if report else None
        try:
            fds = [theirs.fileno(), *([pair[1].fileno()] if pair else [])]
            reply = connection.request({"op": "spawn", "kind": kind}, fds=fds)
        finally:
            theirs.close()
            if pair:
                pair[1].close()
        if "error" in reply:  # the child could not be isolated: no student code ran
            ours.close()
            if pair:
                pair[0].close()
            raise SandboxBroken(str(reply["error"])[:500])
        self.pid: int = int(reply["pid"])
        self.uid: int = int(reply["uid"])
        self.chan = Channel(ours)
        self.report: HitReader | None = HitReader(pair[0].detach()) if pair else None
        self.dead: Reason | None = None
        self.killed_by_us = False
        connection.children[self.pid] = self

    def kill(self) -> None:
        if self.pid in self.connection.children:
            self.killed_by_us = True
            self.connection.request({"op": "forget", "pid": self.pid}, quiet=True)
            self.connection.children.pop(self.pid, None)
        self.chan.close()
        if self.report is not None:
            self.report.close()

    def cpu_seconds(self) -> float | None:
        """Its CPU time so far, as the warm parent measures it (None: not measurable now)."""
        value = self.connection.request({"op": "cpu", "pid": self.pid}, quiet=True).get("cpu")
        return float(value) if type(value) in (int, float) else None

    def exit_status(self, timeout: float = 1.0) -> dict[str, Any] | None:
        reply = self.connection.request({"op": "status", "pid": self.pid, "timeout": timeout}, quiet=True)
        status = reply.get("status") if reply else None
        return status if type(status) is dict else None

    def death_reason(self) -> Reason:
        """Why the child's connection closed, from its exit status (as the warm parent saw it)."""
        return death_reason(self.exit_status())


class CpuBudget:
    """A time limit of ``seconds`` judged in the child's CPU time (a child slowed down by
    others is not blamed for it), with a wall-clock backstop at ``factor`` times it (and never
    past ``hard_end``, a :func:`time.monotonic` time). Where the CPU time cannot be measured,
    the wall clock alone judges."""

    def __init__(self, child: Child, seconds: float, factor: float, hard_end: float | None = None) -> None:
        now = time.monotonic()
        self.child, self.seconds = child, seconds
        self.backstop = now + seconds * max(1.0, factor)
        if hard_end is not None:
            self.backstop = min(self.backstop, hard_end)
        self.start = child.cpu_seconds()
        self.check_at = min(now + seconds, self.backstop)

    def wait(self) -> float | None:
        """Wall seconds to wait before looking again; None once the budget is spent."""
        now = time.monotonic()
        if now < self.check_at:
            return self.check_at - now
        used = self.child.cpu_seconds() if self.start is not None and now < self.backstop else None
        if used is None or used - self.start >= self.seconds:
            return None
        self.check_at = min(now + max(self.seconds - (used - self.start), 0.05), self.backstop)
        return self.check_at - now


def death_reason(status: dict[str, Any] | None) -> Reason:
    """Why a child died, from its exit status: CPU time, or a SIGKILL we did not send (the
    kernel's OOM killer), or anything else."""
    sig = (status or {}).get("signal")
    if sig == signal.SIGXCPU:
        return Reason.TIMEOUT
    if sig == signal.SIGKILL:
        return Reason.MEMORY
    return Reason.KERNEL_DIED
