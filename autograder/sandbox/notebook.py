"""A notebook executed in a sandboxed child, for people (the feedback run): :func:`execute`.

It runs every code cell of a copy of ``nb`` (prepared by the caller: no hidden tests; old
outputs are discarded, tags such as ``skip-execution`` are ignored) in a forked child with
IPython's ``InteractiveShell`` (:func:`autograder.sandbox._child.serve_notebook`), errors not
stopping execution (like nbgrader), and returns :class:`ExecResult`: the executed notebook
(standard nbformat outputs, :mod:`autograder.sandbox.outputs`: stream, execute_result,
display_data incl. inline PNG figures, error with ANSI traceback; ``language_info``),
``failure`` (None, or ``TIMEOUT``, ``KERNEL_DIED``, ``MEMORY``, ``OUTPUT_FLOOD``), per-cell
error flags and ``stopped_at``. On an abnormal end the cell that was running gets an error
output saying why and later cells stay unexecuted. ``files`` (name -> text) are written into
the child's working directory first.
"""
from __future__ import annotations

import copy
import signal
import time
from dataclasses import dataclass
from typing import Any

from autograder.protocol import is_plain
from autograder.reasons import Reason
from autograder.sandbox._wire import BadMessage, ChannelClosed, ChannelTimeout, MessageTooLarge
from autograder.sandbox.connection import Child, Connection, CpuBudget, death_reason
from autograder.sandbox.outputs import clean_outputs
from autograder.sandbox.policy import Limits

#: What a child of this kind runs (:func:`autograder.sandbox._child.serve_notebook`).
KIND = "notebook"


@dataclass
class ExecResult:
    """An executed notebook and how its execution ended.

    ``failure`` is None when every code cell ran (some may have raised), else why the run
    ended early (:data:`~autograder.reasons.UNAVAILABLE` reasons); ``cell_errors[i]`` is True
    when cell ``i`` (index into ``notebook.cells``) raised; ``stopped_at`` is the index of the
    cell during which execution ended abnormally; ``message`` is for the instructor.
    """

    notebook: Any
    failure: Reason | None
    cell_errors: list[bool]
    stopped_at: int | None = None
    seconds: float = 0.0
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.failure is None


def execute(connection: Connection, limits: Limits, nb: Any, cell_timeout: float, total_timeout: float,
            files: dict[str, str]) -> ExecResult:
    """Execute every code cell of ``nb`` (a copy; outputs are replaced) in a new child."""
    run = NotebookRun(connection.spawn(KIND), nb, limits, cell_timeout, total_timeout)
    try:
        run.start(files)
        while run.step():
            pass
    finally:
        run.child.kill()
    return run.result()


_STOP_ERROR = {Reason.TIMEOUT: "CellTimeoutError", Reason.MEMORY: "MemoryError",
               Reason.OUTPUT_FLOOD: "OutputLimitError"}


class NotebookRun:
    """One notebook executing in a child: the connection, read one message at a time.

    :meth:`step` receives the next message and hands it to the handler of its kind
    (``hello``, ``status``, ``done``, a cell's result); a failure of the connection
    itself (deadline, size, closed) ends the run through :meth:`stop`. One output budget:
    everything the child sent, against ``notebook_bytes``.
    """

    def __init__(self, child: Child, nb: Any, limits: Limits, cell_timeout: float, total_timeout: float) -> None:
        from nbformat.v4 import new_output

        self.child, self.limits = child, limits
        self.cell_timeout, self.total_timeout = cell_timeout, total_timeout
        self.t0 = time.monotonic()
        # Both limits in the child's CPU time, with a wall-clock backstop (CpuBudget); the
        # first cell's includes the child's start.
        self.total = CpuBudget(child, total_timeout, limits.wall_factor)
        self.cell = CpuBudget(child, cell_timeout + 5, limits.wall_factor, hard_end=self.total.backstop)
        self.nb = copy.deepcopy(nb)
        self.cells = {i: c for i, c in enumerate(self.nb.cells) if c.cell_type == "code"}
        for cell in self.cells.values():
            cell.outputs, cell.execution_count = [], None
        self.pending = list(self.cells)
        self.cell_errors = [False] * len(self.nb.cells)
        self.failure: Reason | None = None
        self.stopped_at: int | None = None
        self.message = ""
        self.last_cell: int | None = None
        self.new_output = new_output
        self.budget = limits.notebook_bytes + 65536

    def start(self, files: dict[str, str]) -> None:
        try:
            self.child.chan.send({"cells": [[i, str(c.source)] for i, c in self.cells.items()], "files": files},
                                 timeout=self.cell_timeout)
        except (ChannelTimeout, ChannelClosed):
            pass  # the replies (or their absence) tell what happened

    def step(self) -> bool:
        """Handle the next message; False when the run is over."""
        try:
            msg = self._next_message()
        except ChannelTimeout as spent:
            total = str(spent) == "total"
            limit = self.total_timeout if total else self.cell_timeout
            return self.stop(Reason.TIMEOUT, f"execution exceeded the {'total' if total else 'cell'} time limit ({limit:g} s)")
        except MessageTooLarge:
            return self.stop(Reason.OUTPUT_FLOOD, "the notebook produced too much output")
        except (ChannelClosed, BadMessage):
            return self.on_closed()
        if self.child.chan.bytes_received > self.budget:
            return self.stop(Reason.OUTPUT_FLOOD, "the notebook produced too much output")
        if type(msg) is not dict:
            return self.stop(Reason.KERNEL_DIED, "malformed message from the kernel")
        for kind, handler in (("hello", self.on_hello), ("status", self.on_status), ("done", self.on_done)):
            if kind in msg:
                return handler(msg[kind])
        return self.on_cell(msg)

    def _next_message(self) -> Any:
        """The child's next message within the cell's and the whole run's budgets
        (ChannelTimeout "cell" or "total" once one is spent)."""
        while True:
            total, cell = self.total.wait(), self.cell.wait()
            if total is None or cell is None:
                raise ChannelTimeout("total" if total is None else "cell")
            try:
                return self.child.chan.recv(min(total, cell), self.budget)
            except ChannelTimeout:
                continue

    # ---------------------------------------------------------------- handlers

    def on_hello(self, info: Any) -> bool:
        if type(info) is dict and is_plain(info):
            self.nb.metadata["language_info"] = info
        return True

    def on_status(self, token: Any) -> bool:
        """The child stops on its own: out of memory or output (anything else: it died)."""
        reason = {"memory": Reason.MEMORY, "output_limit": Reason.OUTPUT_FLOOD}.get(token, Reason.KERNEL_DIED)
        if reason is Reason.MEMORY and self.last_cell is not None:
            self.pending.insert(0, self.last_cell)  # the cell that ran out of memory
            cell = self.cells[self.last_cell]
            cell.outputs = [o for o in cell.outputs if o.output_type != "error" or o.ename != "MemoryError"]
        text = {Reason.MEMORY: "the kernel ran out of memory",
                Reason.OUTPUT_FLOOD: "the notebook produced too much output"}.get(reason, "bad status")
        return self.stop(reason, text)

    def on_done(self, value: Any) -> bool:
        if value is not True:
            return self.stop(Reason.KERNEL_DIED, "malformed message from the kernel")
        if self.pending:
            return self.stop(Reason.KERNEL_DIED, "the kernel stopped before executing every cell")
        return False

    def on_cell(self, msg: dict[str, Any]) -> bool:
        index = msg.get("cell")
        if not self.pending or index != self.pending[0]:
            return self.stop(Reason.KERNEL_DIED, "out-of-order message from the kernel")
        self.last_cell = self.pending.pop(0)
        self.cell = CpuBudget(self.child, self.cell_timeout, self.limits.wall_factor, hard_end=self.total.backstop)
        cell = self.cells[index]
        count = msg.get("execution_count")
        cell.execution_count = count if type(count) is int else None
        cell.outputs = clean_outputs(msg.get("outputs"), self.new_output)
        self.cell_errors[index] = msg.get("error") is True or any(o.output_type == "error" for o in cell.outputs)
        return True

    def on_closed(self) -> bool:
        status = self.child.exit_status() or {}
        reason = death_reason(status)
        sig, code = status.get("signal"), status.get("code")
        if reason is Reason.TIMEOUT:
            return self.stop(reason, "CPU time limit exceeded")
        if reason is Reason.MEMORY:
            return self.stop(reason, "the kernel was killed (out of memory)")
        name = signal.Signals(sig).name if sig else f"exit code {code}" if type(code) is int else "exit"
        return self.stop(reason, f"the kernel died unexpectedly ({name})")

    def stop(self, reason: Reason, text: str) -> bool:
        """End the run: the cell that was running gets an error output saying why."""
        self.failure, self.message = reason, text
        if self.pending:
            self.stopped_at = self.pending[0]
            ename = _STOP_ERROR.get(reason, "DeadKernelError")
            self.cells[self.stopped_at].outputs.append(
                self.new_output("error", ename=ename, evalue=text, traceback=[f"{ename}: {text}"]))
            self.cell_errors[self.stopped_at] = True
        return False

    def result(self) -> ExecResult:
        import nbformat

        message = self.message
        try:
            nbformat.validate(self.nb)
        except Exception as exc:  # noqa: BLE001 - should not happen: outputs are rebuilt above
            message = (message + f"; invalid notebook: {exc}")[:2000]
        return ExecResult(self.nb, self.failure, self.cell_errors, self.stopped_at, time.monotonic() - self.t0, message)
