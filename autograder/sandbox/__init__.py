"""How untrusted student code runs: a warm, isolated fork server and its sandboxed children.

API (trusted side; importing this module does not import torch)::

    with Sandbox(course_root, Limits()) as sandbox:          # once per grading process (5-30 s)
        sandbox.isolation.level                               # "netns+mountns+pidns+uid+seccomp+landlock+memcg+rlimits"
        with sandbox.worker(answer_program(trusted_nb, answers)) as student:   # tens of ms
            student.load_errors                               # {label: "ValueError: ..."}
            student.call("cosine_annealing", 17, 50, 0.1, 0.001)   # -> plain data
        result = sandbox.execute_notebook(nb, cell_timeout=30, total_timeout=300)
        result.failure, result.notebook, result.cell_errors   # failure: a Reason or None

* :class:`Limits` — per child: ``wall_seconds`` (loading a program, and a worker's whole
  life), ``call_seconds`` (one request), ``memory_bytes`` (address space on top of the warm
  parent's ~1 GB), ``cpu_seconds``, ``max_processes`` (per uid; each child has its own),
  ``file_bytes``, ``disk_bytes`` (its private ``/tmp``), ``open_files``, ``output_bytes``
  (stdout+stderr text), ``reply_bytes`` (one worker reply), ``notebook_bytes`` (all outputs
  of one executed notebook, figures included).
* :class:`Sandbox` ``(course_root, limits, *, hide=(), keep=(), preload=("torch", "lrlab"),
  wait=True)`` — one per grading run; create it AFTER any fork of the grading process
  (``wait=False`` returns at once; the first request waits for the start). Other processes
  of the run share it: ``sandbox.door()`` (:class:`SandboxDoor`, picklable into a
  multiprocessing pool's ``initargs``) ``.open()`` gives each its own connection. It starts
  the warm parent (:mod:`autograder.sandbox._server`), which enters new network, mount and
  PID namespaces the way this environment allows (directly as root, through a user
  namespace otherwise: :mod:`autograder.sandbox.policy`), imports numpy, matplotlib
  (inline), IPython, the ``preload`` modules (``preload=()``: no torch, for tests of the
  sandbox itself) and the public ``autograder.harness`` — never a hidden check (verified:
  it refuses to start otherwise), drops matplotlib's cached fonts so that it holds no
  descriptor besides stdio and its control socket (also verified: a child renumbers its
  descriptors, so an inherited open file would alias the child's protocol socket) —
  and then hides ``course_root``, the repo root (so
  ``autograder/``, ``source/``, ``tests/``, ``gradebook.db``, ``submitted/``, ``.git`` …),
  ``hide`` paths and private system directories behind empty tmpfs, binding back only the
  interpreter, the venv, ``lrlab`` and ``keep`` paths, read-only. ``isolation``
  (:class:`IsolationReport`) says what was actually reached; ``alive`` turns False if the
  warm parent died (make a new Sandbox). ``close()`` (or ``with``) kills everything.
* :meth:`Sandbox.worker` ``(program)`` forks a child that executes ``[(label, source)]``
  in a fresh namespace (like :func:`autograder.submissions.run_program`; IPython magics
  are translated) and returns a :class:`WorkerStudent`: the
  :class:`~autograder.checks.base.Student` protocol (``has``/``call``/``call_many``/
  ``get``/``op``) over JSON lines, answers encoded exactly like ``LocalStudent`` (warnings
  silenced). Every reply is parsed with ``json`` only, size-capped and checked to be plain
  data (else ``StudentError(["TypeError", ...])``). A child that times out, crashes, runs
  out of memory or floods its output is killed with all its processes, and the request
  raises :class:`~autograder.checks.base.StudentUnavailable` with a
  :class:`~autograder.reasons.Reason`: ``TIMEOUT``, ``KERNEL_DIED``, ``MEMORY`` (MemoryError,
  or SIGKILL not sent by us: the OOM killer) or ``OUTPUT_FLOOD``; later requests raise it
  again. ``Sandbox.worker`` itself raises it when loading the program does. Not thread-safe: one thread per WorkerStudent.
* :meth:`Sandbox.execute_notebook` ``(nb, cell_timeout, total_timeout, files=None)`` runs
  every code cell of a copy of ``nb`` (prepared by the caller: no hidden tests; old
  outputs are discarded, tags such as ``skip-execution`` are ignored) in a forked child with
  IPython's ``InteractiveShell``, errors not stopping execution (like nbgrader), and returns
  :class:`ExecResult`: the executed notebook (standard nbformat outputs: stream,
  execute_result, display_data incl. inline PNG figures, error with ANSI traceback;
  ``language_info``), ``failure`` (None, or ``TIMEOUT``, ``KERNEL_DIED``, ``MEMORY``,
  ``OUTPUT_FLOOD``), per-cell error flags and ``stopped_at``. On an abnormal end the
  cell that was running gets an error output saying why and later cells stay unexecuted.
  ``files`` (name -> text) are written into the child's working directory first.

The warm parent is pid 1 of its own PID namespace where allowed, so nothing it started can
outlive it, even if the grading process is SIGKILLed. Every child: own session/process
group, own unprivileged uid when root (from the server's block, locked against every other
grading process of the machine, so the processes limit and
a final kill-by-uid cover exactly that submission), private tmpfs ``/tmp`` as
cwd/HOME/TMPDIR (and private ``/var/tmp``, ``/dev/shm``; the kept paths that lie below
them — interpreter, venv, ``lrlab``, ``keep``, say of a repo cloned under ``/tmp`` — are
bound back into them read-only, and nothing else of what they covered), ``/proc`` showing
only its own processes, scrubbed environment,
``OMP_NUM_THREADS=1``, rlimits, a memory cgroup of its own where one can be made, no core
dumps, ``no_new_privs``, a seccomp filter (:data:`~autograder.sandbox.policy.SECCOMP_DENIED`), a Landlock
file allow-list where the kernel has Landlock (:mod:`autograder.sandbox._landlock`: the
hidden paths stay out of reach even without a mount namespace), and only its protocol
socket as a file descriptor.
"""
from __future__ import annotations

import copy
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from autograder.checks.base import Plain, StudentError, StudentUnavailable
from autograder.reasons import Reason
from autograder.sandbox._wire import BadMessage, Channel, ChannelClosed, ChannelTimeout, MessageTooLarge

REPO_ROOT = Path(__file__).resolve().parents[2]
MiB = 1 << 20

#: Modules imported by the warm parent besides numpy/matplotlib/IPython (with submodules);
#: ``torch`` also warms the shell up with an optimizer step. Grading needs both; a test of
#: the sandbox itself may pass ``preload=()`` (starts in a fraction of the time).
DEFAULT_PRELOAD = ("torch", "lrlab")
#: The child's own words for why it stops (a protocol token, never shown to anyone).
CHILD_REASONS = {"timeout": Reason.TIMEOUT, "memory": Reason.MEMORY, "output_limit": Reason.OUTPUT_FLOOD}


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed child."""

    wall_seconds: float = 60  # loading a program / a child's whole life
    call_seconds: float = 10  # one request to a worker
    memory_bytes: int = 2 << 30  # address space on top of the warm parent's
    cpu_seconds: int = 120
    max_processes: int = 64  # per uid (each child has its own uid when root)
    file_bytes: int = 16 * MiB  # largest file it may write
    disk_bytes: int = 64 * MiB  # size of its private /tmp
    open_files: int = 256
    output_bytes: int = 1 * MiB  # stdout + stderr text
    reply_bytes: int = 4 * MiB  # one JSON reply of a worker
    notebook_bytes: int = 32 * MiB  # all outputs of one executed notebook (figures included)


@dataclass(frozen=True)
class IsolationReport:
    """What the sandbox reached on this machine (``level`` like ``netns+mountns+uid+rlimits``;
    the paths and parts: :mod:`autograder.sandbox.policy`)."""

    level: str
    details: dict[str, bool | str] = field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.level} ({', '.join(f'{k}={v}' for k, v in sorted(self.details.items()))})"


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


def _is_plain(value: Any, depth: int = 0) -> bool:
    if depth > 50:
        return False
    if value is None or type(value) in (bool, int, float, str):
        return True
    if type(value) is list:
        return all(_is_plain(v, depth + 1) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _is_plain(v, depth + 1) for k, v in value.items())
    return False


def _student_error(payload: Any) -> StudentError:
    if (type(payload) is dict and type(payload.get("kinds")) is list
            and all(type(k) is str for k in payload["kinds"]) and type(payload.get("message")) is str):
        return StudentError([k[:64] for k in payload["kinds"][:20]], payload["message"])
    return StudentError(["TypeError", "Exception", "BaseException"], "malformed answer from the student's process")


class SandboxBroken(RuntimeError):
    """The sandbox itself failed (its server died, a child could not be isolated): the
    grading environment's failure, never the student's (``grader_error``)."""


class _Child:
    """One forked child as seen from the trusted side."""

    def __init__(self, sandbox: Sandbox, kind: str) -> None:
        self.sandbox = sandbox
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            reply = sandbox._control({"op": "spawn", "kind": kind}, fds=[theirs.fileno()])
        finally:
            theirs.close()
        if "error" in reply:  # the child could not be isolated: no student code ran
            ours.close()
            raise SandboxBroken(str(reply["error"])[:500])
        self.pid: int = int(reply["pid"])
        self.uid: int = int(reply["uid"])
        self.chan = Channel(ours)
        self.dead: Reason | None = None
        self.killed_by_us = False
        sandbox._children[self.pid] = self

    def kill(self) -> None:
        if self.pid in self.sandbox._children:
            self.killed_by_us = True
            self.sandbox._control({"op": "forget", "pid": self.pid}, quiet=True)
            self.sandbox._children.pop(self.pid, None)
        self.chan.close()

    def exit_status(self, timeout: float = 1.0) -> dict[str, Any] | None:
        reply = self.sandbox._control({"op": "status", "pid": self.pid, "timeout": timeout}, quiet=True)
        status = reply.get("status") if reply else None
        return status if type(status) is dict else None


class WorkerStudent:
    """A :class:`~autograder.checks.base.Student` whose answers come from a sandboxed child.

    The child arms the forbidden-class tripwire before loading the program
    (:mod:`autograder.harness.tripwire`), so the scorer may ask it for ``tripwire_report``.
    """

    arms_tripwire = True

    def __init__(self, sandbox: Sandbox, program: list[tuple[str, str]]) -> None:
        self._limits = sandbox.limits
        self._child = _Child(sandbox, "worker")
        self._next_id = 0
        self._deadline = time.monotonic() + self._limits.wall_seconds
        self.load_errors: dict[str, str] = {}
        self.load_seconds = 0.0
        t0 = time.monotonic()
        try:
            try:
                self._child.chan.send({"program": [[str(a), str(b)] for a, b in program]},
                                      timeout=self._limits.wall_seconds)
            except ChannelTimeout:
                self._fail(Reason.TIMEOUT)
            except ChannelClosed:
                self._fail(self._death_reason())
            reply = self._receive(self._limits.wall_seconds)
        except BaseException:
            self.close()
            raise
        errors = reply.get("loaded")
        if type(errors) is not dict or not all(type(k) is str and type(v) is str for k, v in errors.items()):
            self._fail(Reason.KERNEL_DIED)
        self.load_errors = {k[:200]: v[:600] for k, v in errors.items()}
        self.load_seconds = time.monotonic() - t0

    # ---------------------------------------------------------------- plumbing

    def _fail(self, reason: Reason) -> None:
        self._child.dead = reason
        self._child.kill()
        raise StudentUnavailable(reason)

    def _receive(self, timeout: float) -> dict[str, Any]:
        child = self._child
        if child.dead:
            raise StudentUnavailable(child.dead)
        timeout = min(timeout, max(0.0, self._deadline - time.monotonic()))
        try:
            reply = child.chan.recv(timeout, self._limits.reply_bytes + 4096)
        except ChannelTimeout:
            self._fail(Reason.TIMEOUT)
        except MessageTooLarge:
            self._fail(Reason.OUTPUT_FLOOD)
        except (ChannelClosed, BadMessage):
            self._fail(self._death_reason())
        if type(reply) is not dict:
            self._fail(Reason.KERNEL_DIED)
        if "unavailable" in reply:
            self._fail(CHILD_REASONS.get(reply["unavailable"], Reason.KERNEL_DIED))
        return reply

    def _death_reason(self) -> Reason:
        return _death_reason(self._child.exit_status())

    def _request(self, payload: dict[str, Any]) -> dict[str, Any]:
        if self._child.dead:
            raise StudentUnavailable(self._child.dead)
        self._next_id += 1
        payload["id"] = self._next_id
        try:
            self._child.chan.send(payload, timeout=self._limits.call_seconds)
        except ChannelTimeout:
            self._fail(Reason.TIMEOUT)
        except ChannelClosed:
            self._fail(self._death_reason())
        reply = self._receive(self._limits.call_seconds)
        if reply.get("id") != self._next_id:
            self._fail(Reason.KERNEL_DIED)  # out-of-order replies: the protocol was tampered with
        return reply

    @staticmethod
    def _value(reply: dict[str, Any]) -> Plain:
        if "error" in reply:
            raise _student_error(reply["error"])
        if "ok" not in reply or not _is_plain(reply["ok"]):
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
            err = _student_error(reply["error"])
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

    def __enter__(self) -> WorkerStudent:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Sandbox:
    """The warm fork server of one grading process (see the module docstring).

    ``wait=False`` returns as soon as the warm parent is started (it imports for seconds):
    the first request (or :attr:`isolation`) waits for it. Other grading processes share it
    through :meth:`door` (each gets its own connection; see :class:`SandboxDoor`).
    """

    def __init__(self, course_root: Path | str, limits: Limits = Limits(), *,
                 hide: tuple[Path | str, ...] = (), keep: tuple[Path | str, ...] = (),
                 preload: tuple[str, ...] = DEFAULT_PRELOAD, start_timeout: float = 180,
                 wait: bool = True) -> None:
        self.course_root = Path(course_root).resolve()
        self.limits = limits
        self._lock = threading.RLock()
        self._children: dict[int, _Child] = {}
        self._closed = False
        self._isolation: IsolationReport | None = None
        self._start_timeout = start_timeout
        self._tmp: str | None = tempfile.mkdtemp(prefix="lrlab-sandbox-")
        os.chmod(self._tmp, 0o700)
        hidden = {self.course_root, REPO_ROOT, *(Path(h).resolve() for h in hide)}
        uids, self._uid_lock, uid_error = _lock_uid_block()
        #: The uids this sandbox's children may run as (its locked block); None without one.
        self.uids: range | None = uids
        config = {
            "uid_block": None if uids is None else uids.start,
            "uid_block_error": uid_error,
            "limits": asdict(limits),
            "hide": sorted(str(h) for h in hidden),
            "keep": [str(Path(k).resolve()) for k in keep],
            "preload": list(preload),
            "repo_root": str(REPO_ROOT),
        }
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        door, door_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._ctrl: socket.socket = ours
        self._door: socket.socket | None = door
        env = {
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "HOME": self._tmp, "TMPDIR": self._tmp, "LANG": "C.UTF-8",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            # matplotlib's font cache: reuse the caller's (or the repo's) instead of rebuilding it.
            "MPLCONFIGDIR": os.environ.get("MPLCONFIGDIR", str(REPO_ROOT / ".cache" / "matplotlib")),
            "IPYTHONDIR": os.path.join(self._tmp, "ipython"),
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
        }
        bootstrap = "import sys; sys.path.insert(0, sys.argv[1]); from autograder.sandbox._server import main; main()"
        self._proc: subprocess.Popen | None = subprocess.Popen(
            [sys.executable, "-c", bootstrap, str(REPO_ROOT), str(theirs.fileno()), str(door_theirs.fileno())],
            pass_fds=[theirs.fileno(), door_theirs.fileno()], env=env, cwd=self._tmp, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        theirs.close()
        door_theirs.close()
        self.server_pid: int | None = self._proc.pid  # outside any PID namespace
        try:
            ours.send(json.dumps(config).encode())
            if wait:
                self._ready()
        except BaseException:
            self.close()
            raise

    @classmethod
    def _attached(cls, conn: socket.socket, limits: Limits, course_root: str, timeout: float) -> Sandbox:
        """A client of another process's warm parent over ``conn`` (see :meth:`SandboxDoor.open`)."""
        self = cls.__new__(cls)
        self.course_root, self.limits = Path(course_root), limits
        self._lock = threading.RLock()
        self._children = {}
        self._closed = False
        self._isolation = None
        self._start_timeout = timeout
        self._tmp = self._proc = self._door = self.server_pid = self._uid_lock = None
        self.uids = None  # the warm parent's block is its owner's to know
        self._ctrl = conn
        try:
            conn.send(json.dumps({"op": "hello"}).encode())
            self._ready()
        except BaseException:
            self.close()
            raise
        return self

    def _ready(self) -> IsolationReport:
        """Wait for the warm parent's hello (once): what isolation it reached."""
        with self._lock:
            if self._isolation is None:
                try:
                    self._ctrl.settimeout(self._start_timeout)
                    data = self._ctrl.recv(1 << 20)
                    self._ctrl.settimeout(None)
                except OSError as exc:
                    raise SandboxBroken(f"sandbox server failed to start: {exc}") from exc
                hello = json.loads(data) if data else {"error": "it exited"}
                if "error" in hello:
                    raise SandboxBroken(f"sandbox server failed to start: {hello['error']}")
                # The warm parent needed its HOME/IPYTHONDIR only while starting: leave nothing
                # behind even if this object is never closed.
                if self._tmp:
                    shutil.rmtree(self._tmp, ignore_errors=True)
                details = {str(k): v for k, v in hello["details"].items() if type(v) in (bool, str, int, float)}
                self._isolation = IsolationReport(str(hello["level"]), details)
            return self._isolation

    @property
    def isolation(self) -> IsolationReport:
        """What the sandbox reached on this machine (waits for the warm parent's start)."""
        return self._ready()

    def door(self) -> SandboxDoor:
        """What another grading process needs to share this warm parent."""
        if self._door is None:
            raise RuntimeError("only the process that started the sandbox can share it")
        return SandboxDoor(self._door, self.limits, str(self.course_root))

    @property
    def alive(self) -> bool:
        """False once the warm parent is gone (closed, or died: then make a new Sandbox)."""
        return not self._closed and (self._proc is None or self._proc.poll() is None)

    def _control(self, request: dict[str, Any], fds: list[int] | None = None, quiet: bool = False) -> dict[str, Any]:
        with self._lock:
            try:
                if self._closed:
                    raise ChannelClosed("sandbox closed")
                self._ready()
                if fds:
                    socket.send_fds(self._ctrl, [json.dumps(request).encode()], fds)
                else:
                    self._ctrl.send(json.dumps(request).encode())
                self._ctrl.settimeout(30)
                data = self._ctrl.recv(1 << 16)
                self._ctrl.settimeout(None)
                if not data:
                    raise ChannelClosed("sandbox server is gone")
                return json.loads(data)
            except (OSError, ChannelClosed, ValueError) as exc:
                if quiet:
                    return {}
                raise SandboxBroken(f"sandbox server failed: {exc}") from exc

    # ---------------------------------------------------------------- workers

    def worker(self, program: list[tuple[str, str]]) -> WorkerStudent:
        """Fork a child that executes ``program`` ([(label, source)]) and answers questions.

        Raises StudentUnavailable when loading the program times out, crashes, runs out
        of memory or floods its output.
        """
        return WorkerStudent(self, program)

    # ---------------------------------------------------------------- notebooks

    def execute_notebook(self, nb: Any, cell_timeout: float = 30, total_timeout: float = 300,
                         files: dict[str, str] | None = None) -> ExecResult:
        """Execute every code cell of ``nb`` (a copy; outputs are replaced) in a sandboxed child.

        ``files`` (name -> text) are written into the child's working directory first.
        """
        run = _NotebookRun(_Child(self, "notebook"), nb, self.limits, cell_timeout, total_timeout)
        try:
            run.start(files or {})
            while run.step():
                pass
        finally:
            run.child.kill()
        return run.result()

    # ---------------------------------------------------------------- lifetime

    def close(self) -> None:
        """Kill every child and the warm parent; no process survives. A client attached
        through a door closes its connection only: the warm parent kills its children."""
        if self._closed:
            return
        for child in list(self._children.values()):
            child.kill()
        try:
            if self._isolation is not None and self._proc is not None:
                self._control({"op": "shutdown"}, quiet=True)
        finally:
            self._closed = True
            for sock in (self._ctrl, self._door):
                try:
                    if sock is not None:
                        sock.close()
                except OSError:
                    pass
            proc = getattr(self, "_proc", None)
            if proc is not None:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            if self._tmp:
                shutil.rmtree(self._tmp, ignore_errors=True)
            if getattr(self, "_uid_lock", None) is not None:
                os.close(self._uid_lock)  # the uid block is free again (every child is dead)
                self._uid_lock = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass


@dataclass(frozen=True)
class SandboxDoor:
    """Shares one warm parent between grading processes (a local worker pool): each
    :meth:`open` gives a process its own connection, a :class:`Sandbox` whose children the
    warm parent kills when that process closes it or dies. Picklable while a multiprocessing
    process starts (pass it in the pool's ``initargs``: the socket travels as a descriptor).
    """

    sock: socket.socket
    limits: Limits
    course_root: str

    def open(self, timeout: float = 180) -> Sandbox:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            socket.send_fds(self.sock, [json.dumps({"op": "connect"}).encode()], [theirs.fileno()])
        except OSError as exc:
            ours.close()
            raise SandboxBroken(f"the shared sandbox server is gone: {exc}") from exc
        finally:
            theirs.close()
        return Sandbox._attached(ours, self.limits, self.course_root, timeout)


def _lock_uid_block() -> tuple[range | None, int | None, str]:
    """As root: a block of uids for the children that no other grading process of this
    machine holds, and the descriptor holding it; else (None, None, why not)."""
    if os.geteuid() != 0:
        return None, None, ""
    from autograder.sandbox import _server, _uids

    try:
        first, fd = _uids.acquire(_server.UID_BASE, _server.UIDS_PER_SERVER, _server.UID_BLOCKS)
    except (OSError, _uids.NoFreeBlock) as exc:
        return None, None, str(exc)[:200]
    return range(first, first + _server.UIDS_PER_SERVER), fd, ""


def _death_reason(status: dict[str, Any] | None) -> Reason:
    """Why a child's connection closed, from its exit status (as the warm parent saw it)."""
    sig = (status or {}).get("signal")
    if sig == signal.SIGXCPU:
        return Reason.TIMEOUT
    if sig == signal.SIGKILL:
        return Reason.MEMORY  # not killed by us: the kernel's OOM killer
    return Reason.KERNEL_DIED


_STOP_ERROR = {Reason.TIMEOUT: "CellTimeoutError", Reason.MEMORY: "MemoryError",
               Reason.OUTPUT_FLOOD: "OutputLimitError"}


class _NotebookRun:
    """One notebook executing in a child: the connection, read one message at a time.

    :meth:`step` receives the next message and hands it to the handler of its kind
    (``hello``, ``status``, ``done``, a cell's result); a failure of the connection
    itself (deadline, size, closed) ends the run through :meth:`stop`. One output budget:
    everything the child sent, against ``notebook_bytes``.
    """

    def __init__(self, child: _Child, nb: Any, limits: Limits, cell_timeout: float, total_timeout: float) -> None:
        from nbformat.v4 import new_output

        self.child, self.limits = child, limits
        self.cell_timeout, self.total_timeout = cell_timeout, total_timeout
        self.t0 = time.monotonic()
        self.deadline = self.t0 + total_timeout
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
        self.greeted = False
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
        wait = min(self.deadline - time.monotonic(), self.cell_timeout + (0 if self.greeted else 5))
        try:
            if wait <= 0:
                raise ChannelTimeout("total")
            msg = self.child.chan.recv(wait, self.budget)
        except ChannelTimeout:
            total = time.monotonic() >= self.deadline
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

    # ---------------------------------------------------------------- handlers

    def on_hello(self, info: Any) -> bool:
        self.greeted = True
        if type(info) is dict and _is_plain(info):
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
        cell = self.cells[index]
        count = msg.get("execution_count")
        cell.execution_count = count if type(count) is int else None
        cell.outputs = _clean_outputs(msg.get("outputs"), self.new_output)
        self.cell_errors[index] = msg.get("error") is True or any(o.output_type == "error" for o in cell.outputs)
        return True

    def on_closed(self) -> bool:
        status = self.child.exit_status() or {}
        reason = _death_reason(status)
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


_MIME_TEXT_OK = ("application/json",)


def _clean_outputs(outputs: Any, new_output: Any) -> list[Any]:
    """Rebuild outputs reported by the child as valid nbformat outputs (drop anything else)."""
    clean: list[Any] = []
    if type(outputs) is not list:
        return clean
    for out in outputs[:1000]:
        if type(out) is not dict:
            continue
        kind = out.get("output_type")
        try:
            if kind == "stream" and out.get("name") in ("stdout", "stderr") and type(out.get("text")) is str:
                clean.append(new_output("stream", name=out["name"], text=out["text"]))
            elif kind in ("execute_result", "display_data"):
                data = out.get("data")
                if type(data) is not dict:
                    continue
                good = {}
                for mime, value in data.items():
                    if type(mime) is not str or "/" not in mime:
                        continue
                    if mime.endswith("json") and _is_plain(value) and _finite(value):
                        good[mime] = value
                    elif type(value) is str:
                        good[mime] = value
                    elif type(value) is list and all(type(v) is str for v in value):
                        good[mime] = "".join(value)
                meta = out.get("metadata")
                meta = meta if type(meta) is dict and _is_plain(meta) and _finite(meta) else {}
                if kind == "execute_result":
                    count = out.get("execution_count")
                    clean.append(new_output("execute_result", data=good, metadata=meta,
                                            execution_count=count if type(count) is int else None))
                else:
                    clean.append(new_output("display_data", data=good, metadata=meta))
            elif kind == "error":
                tb = out.get("traceback")
                tb = [str(t) for t in tb] if type(tb) is list else []
                clean.append(new_output("error", ename=str(out.get("ename", ""))[:200],
                                        evalue=str(out.get("evalue", ""))[:10000], traceback=tb))
        except Exception:  # noqa: BLE001
            continue
    return clean


def _finite(value: Any) -> bool:
    if type(value) is float:
        return math.isfinite(value)
    if type(value) is list:
        return all(_finite(v) for v in value)
    if type(value) is dict:
        return all(_finite(v) for v in value.values())
    return True


__all__ = ["ExecResult", "IsolationReport", "Limits", "Sandbox", "SandboxBroken", "SandboxDoor", "StudentError",
           "StudentUnavailable", "WorkerStudent"]
