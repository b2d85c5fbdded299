"""A student's answer program loaded into a sandboxed child, questioned in plain data.

:meth:`Sandbox.load <autograder.sandbox.client.Sandbox.load>` forks a child that executes
``[(label, source)]`` in a fresh namespace (like
:func:`autograder.checks.reference.run_program`; IPython magics are translated) and returns a
:class:`SandboxedStudent`: the :class:`~autograder.protocol.Student` protocol (``has``/
``call``/``call_many``/``get``/``op``) over JSON lines, answers encoded exactly like
:class:`~autograder.checks.LocalStudent` (warnings silenced). Every reply is parsed with
``json`` only, size-capped and checked to be plain data (else ``StudentError(["TypeError",
...])``). Every time limit below is judged in the child's CPU time
(:class:`~autograder.sandbox.connection.CpuBudget`: another child's load does not count
against it; the wall clock stops it at ``wall_factor`` times the limit). A child that times out, crashes, runs out of memory or floods its output is killed
with all its processes, and the request raises :class:`~autograder.protocol.StudentUnavailable`
with a :class:`~autograder.reasons.Reason` (``TIMEOUT``, ``KERNEL_DIED``, ``MEMORY`` —
MemoryError, or a SIGKILL not sent by us: the OOM killer — or ``OUTPUT_FLOOD``); later
requests raise it again. Loading raises it too when the program cannot be loaded.

Time limits (:class:`~autograder.sandbox.policy.Limits`): every cell of the program has
``cell_seconds`` to run while it loads — a cell that takes longer (or spends the child's CPU
backstop) stops the load with :class:`~autograder.protocol.CellTimedOut`, naming the cell, so
the caller may load the program again without it; every request has ``call_seconds``; and the
requests of one check together have ``check_seconds`` (the child's answering time, counted from
:meth:`SandboxedStudent.new_check`, or from the end of the load). Not thread-safe: one thread per
:class:`SandboxedStudent`.
"""
from __future__ import annotations

import math
import time
from typing import Any

from autograder.harness.tripwire import Hits
from autograder.protocol import CellTimedOut, Plain, StudentError, StudentUnavailable, error_from_wire, is_plain
from autograder.reasons import Reason
from autograder.sandbox._wire import BadMessage, ChannelClosed, ChannelTimeout, MessageTooLarge
from autograder.sandbox.connection import Connection, CpuBudget
from autograder.sandbox.policy import Limits

#: The child's own words for why it stops (a protocol token, never shown to anyone).
CHILD_REASONS = {"timeout": Reason.TIMEOUT, "memory": Reason.MEMORY, "output_limit": Reason.OUTPUT_FLOOD}
#: What a child of this kind runs (:func:`autograder.sandbox._child.serve_answers`).
KIND = "answers"


class SandboxedStudent:
    """A :class:`~autograder.protocol.Student` whose answers come from a sandboxed child.

    The child's tripwire is armed before the program loads (:mod:`autograder.harness.tripwire`)
    and reports every hit on the child's report descriptor as it happens: the scorer asks the
    child for ``tripwire_report`` (which exercises the wire with its nonce), then reads what
    arrived here, :meth:`tripwire_hits`.
    """

    arms_tripwire = True

    def __init__(self, connection: Connection, limits: Limits, program: list[tuple[str, str]]) -> None:
        self._limits = limits
        self._child = connection.spawn(KIND, report=True)
        self._next_id = 0
        self._check_left = math.inf  # seconds the current check's requests may still take
        self.load_errors: dict[str, str] = {}
        self.load_seconds = 0.0
        t0 = time.monotonic()
        try:
            try:
                self._child.chan.send({"program": [[str(a), str(b)] for a, b in program]}, timeout=limits.cell_seconds)
            except ChannelTimeout:
                self._fail(Reason.TIMEOUT)
            except ChannelClosed:
                self._fail(self._child.death_reason())
            for label, _ in program:
                self._ran(str(label))
            reply = self._receive(limits.cell_seconds)
        except BaseException:
            self.close()
            raise
        errors = reply.get("loaded")
        if type(errors) is not dict or not all(type(k) is str and type(v) is str for k, v in errors.items()):
            self._fail(Reason.KERNEL_DIED)
        self.load_errors = {k[:200]: v[:600] for k, v in errors.items()}
        self.load_seconds = time.monotonic() - t0
        self.new_check()

    def _ran(self, label: str) -> None:
        """Wait up to ``cell_seconds`` for the child to finish the cell ``label``."""
        try:
            reply = self._receive(self._limits.cell_seconds)
        except StudentUnavailable as gone:
            if gone.reason is Reason.TIMEOUT:  # the wall-clock limit, or the CPU backstop
                raise CellTimedOut(label, self._limits.cell_seconds) from None
            raise
        if reply.get("ran") != label:
            self._fail(Reason.KERNEL_DIED)  # out of order: the protocol was tampered with

    def new_check(self) -> None:
        """The requests from now on belong to one check: together they may take ``check_seconds``
        (the time the child takes to answer them, not the time the check spends judging)."""
        self._check_left = self._limits.check_seconds

    # ---------------------------------------------------------------- plumbing

    def _fail(self, reason: Reason) -> None:
        self._child.dead = reason
        self._child.kill()
        raise StudentUnavailable(reason)

    def _receive(self, seconds: float) -> dict[str, Any]:
        """The child's next reply within ``seconds`` of its CPU time (:class:`CpuBudget`)."""
        child = self._child
        if child.dead:
            raise StudentUnavailable(child.dead)
        budget = CpuBudget(child, seconds, self._limits.wall_factor)
        try:
            while True:
                wait = budget.wait()
                if wait is None:
                    self._fail(Reason.TIMEOUT)
                try:
                    reply = child.chan.recv(wait, self._limits.reply_bytes + 4096, side=child.report)
                    break
                except ChannelTimeout:
                    continue
        except MessageTooLarge:
            self._fail(Reason.OUTPUT_FLOOD)
        except (ChannelClosed, BadMessage):
            self._fail(child.death_reason())
        if type(reply) is not dict:
            self._fail(Reason.KERNEL_DIED)
        if "unavailable" in reply:
            self._fail(CHILD_REASONS.get(reply["unavailable"], Reason.KERNEL_DIED))
        return reply

    def _request(self, payload: dict[str, Any]) -> dict[str, Any]:
        if self._child.dead:
            raise StudentUnavailable(self._child.dead)
        self._next_id += 1
        payload["id"] = self._next_id
        allowed = min(self._limits.call_seconds, self._check_left)
        t0, cpu0 = time.monotonic(), self._child.cpu_seconds()
        try:
            self._child.chan.send(payload, timeout=allowed)
        except ChannelTimeout:
            self._fail(Reason.TIMEOUT)
        except ChannelClosed:
            self._fail(self._child.death_reason())
        try:
            reply = self._receive(allowed)
        finally:
            self._check_left -= self._spent(t0, cpu0)
        if reply.get("id") != self._next_id:
            self._fail(Reason.KERNEL_DIED)  # out-of-order replies: the protocol was tampered with
        return reply

    def _spent(self, t0: float, cpu0: float | None) -> float:
        """The child's CPU seconds since ``cpu0`` (the wall seconds since ``t0`` where its CPU
        time cannot be measured): what one request costs the check's budget."""
        cpu = self._child.cpu_seconds() if cpu0 is not None and not self._child.dead else None
        return cpu - cpu0 if cpu is not None else time.monotonic() - t0

    @staticmethod
    def _value(reply: dict[str, Any]) -> Plain:
        if "error" in reply:
            raise error_from_wire(reply["error"])
        if "ok" not in reply or not is_plain(reply["ok"]):
            raise StudentError(["TypeError", "Exception", "BaseException"], "the answer is not plain data")
        return reply["ok"]

    # ---------------------------------------------------------------- Student protocol

    def has(self, name: str) -> bool:
        reply = self._request({"op": "has", "name": str(name)})
        return reply.get("ok") is True

    def call(self, name: str, *args: Plain, **kwargs: Plain) -> Plain:
        return self._value(self._request({"op": "call", "name": str(name), "args": list(args), "kwargs": kwargs}))

    def call_many(self, name: str, calls: list[tuple[list[Plain], dict[str, Plain]]]) -> list[Plain | StudentError]:
        calls = [[list(a), dict(k)] for a, k in calls]
        reply = self._request({"op": "call_many", "name": str(name), "calls": calls})
        if "error" in reply:
            err = error_from_wire(reply["error"])
            return [err for _ in calls]
        items = reply.get("ok")
        if type(items) is not list or len(items) != len(calls):
            bad = StudentError(["TypeError", "Exception", "BaseException"], "malformed answers")
            return [bad for _ in calls]
        results: list[Plain | StudentError] = []
        for item in items:
            try:
                results.append(self._value(item if type(item) is dict else {}))
            except StudentError as err:
                results.append(err)
        return results

    def get(self, name: str) -> Plain:
        return self._value(self._request({"op": "get", "name": str(name)}))

    def op(self, op_name: str, **params: Plain) -> Plain:
        reply = self._request({"op": "op", "name": str(op_name), "params": params})
        if reply.get("unknown_op") is True:
            raise KeyError(f"unknown harness operation {op_name!r}")
        return self._value(reply)

    def tripwire_hits(self) -> Hits:
        """Every hit the child's tripwire has reported so far, read on this side (kept after
        the child is gone: a hit cannot be taken back)."""
        report = self._child.report
        assert report is not None  # answer children always have one
        report.drain()
        return report.hits

    # ---------------------------------------------------------------- lifetime

    @property
    def pid(self) -> int:
        """The child's pid as the warm parent sees it (inside its PID namespace when it has one)."""
        return self._child.pid

    @property
    def uid(self) -> int:
        """The unprivileged uid every process of this child runs as (unique per child as root)."""
        return self._child.uid

    @property
    def alive(self) -> bool:
        return self._child.dead is None

    def close(self) -> None:
        if self._child.dead is None:
            self._child.dead = Reason.KERNEL_DIED  # closed by us: any later request is refused
        self._child.kill()

    def __enter__(self) -> SandboxedStudent:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
