"""The warm parent (fork server): it isolates itself, then forks isolated children on request.

Started by :class:`autograder.sandbox.Sandbox` (:mod:`autograder.sandbox.lifecycle`) with a
scrubbed environment, one SOCK_SEQPACKET control socket and a door, and told its
:class:`~autograder.sandbox.lifecycle.Config` (the policy first). It sets itself up
(:mod:`autograder.sandbox._warm`), says hello with the level it reached
(:meth:`Policy.level <autograder.sandbox.policy.Policy.level>`), then serves
``spawn``/``status``/``forget``/``kill``/``hello``/``shutdown`` requests from its owner and
from the grading processes that share it. Each child is set up by
:mod:`autograder.sandbox._enter` from the policy, with (as root) its own unprivileged uid
from this server's block (locked by the grading process: :mod:`autograder.sandbox._uids`),
so the whole of a child's processes can be killed by uid, the processes limit counts that
child alone, and no two submissions share a uid.
"""
from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from autograder.harness import Harness
from autograder.sandbox import _cgroup, _enter, _seccomp, _view, _warm
from autograder.sandbox import _linux as L
from autograder.sandbox._enter import ChildSetup
from autograder.sandbox.lifecycle import Config


class Server:
    def __init__(self, ctrl: socket.socket, config: Config, door: socket.socket | None = None) -> None:
        self.ctrl = ctrl
        self.door = door  # where grading processes that share this server connect (see serve)
        self.conns: dict[int, socket.socket] = {}  # their connections, by file descriptor
        self.config = config
        self.policy = config.policy
        self.details: dict[str, Any] = {}
        self.children: dict[int, dict[str, Any]] = {}
        self.root = os.geteuid() == 0
        self.drop_uid = False
        self.pending_sweeps: set[int] = set()
        # What the children must see (read-only) although it lies under a hidden path or
        # under a directory every child covers with a private tmpfs (a repo under /tmp).
        self.kept: list[Path] = []
        # This server's uid block (config.uid_block), locked by the grading process for the
        # server's whole life: no other grader of this machine uses it. None: no uids.
        if config.uid_block_error:
            self.details["uid_block_error"] = config.uid_block_error
        self.next_uid = 0
        self.setup_fd = -1  # in a child being set up: where it reports how that went
        self._children_tmp: str | None = None
        self.harness = Harness()  # what the children offer (set by _warm.preload)
        self.seccomp: _seccomp.Filter | None = None
        self.cgroups: _cgroup.ChildCgroups | None = None
        self.pidns_fd = -1  # our own PID namespace, to return to after forking a child into its own
        self.spawned = 0  # children forked so far (names their cgroups)
        self.cgroup_names: dict[int, str] = {}  # pid -> cgroup name, until the child is reaped
        self.view: _view.View | None = None  # the children's file view (:mod:`_view`)
        # What a child may read (Landlock, :mod:`_landlock`); None: no Landlock here.
        self.readable: list[str] | None = None
        self.landlock_abi = 0

    def level(self) -> str:
        """The level reached, written out (see :class:`~autograder.sandbox.policy.Level`)."""
        return str(self.policy.level(self.details))

    # ------------------------------------------------------------------ children

    def spawn(self, kind: str, fds: list[int], owner: int) -> int:
        """Fork a child for connection ``owner`` with its protocol socket (and report
        descriptor: ``fds``); return its pid once it is isolated, or raise
        :class:`ChildSetupFailed` (nothing of the student's ran: the environment is at fault,
        not the submission)."""
        uid = self.allocate_uid() if self.drop_uid else os.getuid()
        self.spawned += 1
        name = f"child-{self.spawned}"
        try:
            cgroups = self.cgroups.prepare(name, self.child_limits) if self.cgroups else None
        except OSError as exc:
            raise ChildSetupFailed(f"sandbox child setup failed: its cgroups: {exc}") from None
        child = ChildSetup(kind, fds[0], fds[1] if len(fds) > 1 else None, _vm_size(), uid,
                           uid if self.drop_uid else os.getgid(), name, cgroups)
        ready_r, ready_w = os.pipe()
        pid = _fork_into_pid_namespace(self.pidns_fd) if self.details.get("child_pid_namespace") else os.fork()
        if pid == 0:  # ---------------- child: never returns
            os.close(ready_r)
            self.setup_fd = fcntl.fcntl(ready_w, fcntl.F_DUPFD_CLOEXEC, 1000)  # clear of fds 3 and 4
            os.close(ready_w)
            try:
                _enter.enter(self, child)
            except BaseException as exc:  # noqa: BLE001
                try:
                    os.write(self.setup_fd, f"{type(exc).__name__}: {exc}"[:400].encode(errors="replace"))
                finally:
                    os._exit(70)
            os._exit(0)
        os.close(ready_w)
        if cgroups is not None:
            cgroups.close()
        self.children[pid] = {"uid": uid, "status": None, "owner": owner, "name": name}
        self.cgroup_names[pid] = name
        error = _setup_result(ready_r)
        if error:
            self.kill(pid)
            self.children.pop(pid, None)
            raise ChildSetupFailed(f"sandbox child setup failed: {error}")
        return pid

    def allocate_uid(self) -> int:
        """The next uid of this server's block that no child (alive or being swept) holds."""
        busy = self.pending_sweeps | {c["uid"] for c in self.children.values()}
        size = self.policy.uids.uids_per_sandbox
        for _ in range(size):
            uid = self.config.uid_block + self.next_uid
            self.next_uid = (self.next_uid + 1) % size
            if uid not in busy:
                return uid
        raise RuntimeError("no free sandbox uid")

    def children_tmp(self) -> str:
        """Without a mount namespace: the folder (in the system's /tmp, traversable, not
        listable) that holds each child's own temp folder until :meth:`shutdown`."""
        if self._children_tmp is None:
            import tempfile

            self._children_tmp = tempfile.mkdtemp(prefix="lrlab-children-", dir="/tmp")
            os.chmod(self._children_tmp, 0o711)
        return self._children_tmp

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = self.children.get(pid)
            if child is not None:
                child["status"] = {
                    "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                    "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
                }
            name = self.cgroup_names.pop(pid, None)  # also of a child forgotten before it was reaped
            if name is not None and self.cgroups is not None:
                self.cgroups.remove(name)

    def kill_strays(self) -> None:
        """SIGKILL every child of ours that is none we forked: a process that left a child's
        tree (its parent died) is handed to us, the subreaper, and must not live on."""
        known = set(self.children)
        for pid in _own_children():
            if pid not in known:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    def cpu_seconds(self, pid: int) -> float | None:
        """A child's CPU time so far: all its processes' where it has a CPU-accounting cgroup,
        else its own and its reaped children's."""
        child = self.children.get(pid)
        if child is None or child["status"] is not None:
            return None
        if self.cgroups is not None:
            seconds = self.cgroups.cpu_seconds(child["name"])
            if seconds is not None:
                return seconds
        return _proc_cpu_seconds(pid)

    @property
    def child_limits(self) -> _cgroup.ChildLimits:
        lim = self.policy.limits
        return _cgroup.ChildLimits(lim.memory_bytes, lim.cpu_share, lim.max_processes)

    def kill(self, pid: int) -> None:
        """SIGKILL the child's process group now; its uid is swept (all its processes) soon after."""
        child = self.children.get(pid)
        if child is None:
            return
        for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            try:
                target()
            except OSError:
                pass
        if self.drop_uid:
            self.pending_sweeps.add(child["uid"])

    def sweep(self, budget: float = 0.5) -> None:
        """Kill every remaining process of the uids of killed children (escaped sessions too)."""
        deadline = time.monotonic() + budget
        for _ in range(20):  # let freshly killed children finish dying before looking
            self.reap()
            if all(c["status"] is not None for c in self.children.values() if c["uid"] in self.pending_sweeps):
                break
            time.sleep(0.001)
        self.kill_strays()
        for uid in list(self.pending_sweeps):
            while time.monotonic() < deadline:
                self.reap()
                if not _live_processes(uid):
                    self.pending_sweeps.discard(uid)
                    break
                kill_uid(uid)
                self.reap()

    # ------------------------------------------------------------------ control loop

    def serve(self) -> None:
        """Answer requests until the owner's control socket closes (or asks to shut down).

        Besides the owner's socket (``ctrl``), grading processes that share this warm parent
        knock at the ``door`` (a socket every one of them may write to) with ``connect`` and a
        socket of their own: from then on that connection makes the same requests as the
        owner (``hello`` first), and when it closes the children it spawned are killed.
        """
        while True:
            self.reap()
            self.kill_strays()
            self.sweep()
            listening = [self.ctrl, *([self.door] if self.door else []), *self.conns.values()]
            ready, _, _ = select.select(listening, [], [], 0.05 if self.pending_sweeps else 0.5)
            for sock in ready:
                try:
                    data, fds, _, _ = socket.recv_fds(sock, 1 << 16, 4)
                except OSError:
                    data, fds = b"", []
                if sock is self.door:
                    self.connect(data, fds)
                    continue
                if not data:
                    if sock is self.ctrl:
                        self.shutdown()
                        return
                    self.disconnect(sock)
                    continue
                req = json.loads(data)
                if sock is self.ctrl and req.get("op") == "shutdown":
                    self.shutdown()
                    self.ctrl.send(b"{}")
                    return
                try:
                    reply = self.handle(req, fds, owner=sock.fileno())
                finally:
                    for fd in fds:
                        os.close(fd)
                try:
                    sock.send(json.dumps(reply).encode())
                except OSError:
                    self.disconnect(sock)

    def handle(self, req: dict[str, Any], fds: list[int], owner: int) -> dict[str, Any]:
        """One request of a connection (the owner's or a shared one) and its reply."""
        op = req.get("op")
        if op == "spawn":
            try:
                pid = self.spawn(req["kind"], fds, owner)
            except ChildSetupFailed as exc:
                return {"error": str(exc)}
            return {"pid": pid, "uid": self.children[pid]["uid"]}
        if op == "kill":
            self.kill(req["pid"])
            return {"status": self.children.get(req["pid"], {}).get("status")}
        if op == "status":
            deadline = time.monotonic() + float(req.get("timeout", 0))
            child = self.children.get(req["pid"], {})
            while True:
                self.reap()
                if child.get("status") is not None or time.monotonic() >= deadline:
                    break
                time.sleep(0.002)
            return {"status": child.get("status")}
        if op == "cpu":
            return {"cpu": self.cpu_seconds(req["pid"])}
        if op == "forget":
            self.kill(req["pid"])
            self.children.pop(req["pid"], None)
            return {}
        if op == "hello":
            return {"ready": True, "level": self.level(), "details": self.details}
        return {"error": f"unknown op {op!r}"}

    def connect(self, data: bytes, fds: list[int]) -> None:
        """A grading process knocked at the door with its own socket: serve it from now on."""
        try:
            op = json.loads(data).get("op") if data else None
        except (ValueError, AttributeError):
            op = None
        if op == "connect" and len(fds) == 1:
            conn = socket.socket(fileno=fds[0])
            self.conns[conn.fileno()] = conn
            return
        for fd in fds:
            os.close(fd)

    def disconnect(self, sock: socket.socket) -> None:
        """A shared connection closed: kill what it spawned (as the owner's closing would)."""
        owner = sock.fileno()
        for pid in [pid for pid, child in self.children.items() if child.get("owner") == owner]:
            self.kill(pid)
            self.children.pop(pid, None)
        self.conns.pop(owner, None)
        sock.close()

    def shutdown(self) -> None:
        for pid in list(self.children):
            self.kill(pid)
        deadline = time.monotonic() + 10
        while self.pending_sweeps and time.monotonic() < deadline:
            self.sweep()
        self.children.clear()
        if self.cgroups is not None:
            self.cgroups.close()
        if self._children_tmp is not None:
            import shutil

            shutil.rmtree(self._children_tmp, ignore_errors=True)


class ChildSetupFailed(Exception):
    """A child could not be isolated (before any student code ran)."""


def _setup_result(fd: int, timeout: float = 30.0) -> str:
    """Why a child's set-up failed, from what it wrote on its set-up pipe: "" when isolated."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                return f"no answer within {timeout:g} s"
            data = os.read(fd, 4096)
            if not data:
                said = b"".join(chunks)
                return "" if said == _enter.SETUP_OK else said.decode(errors="replace") or "it died during set-up"
            chunks.append(data)
    finally:
        os.close(fd)


def kill_uid(uid: int) -> None:
    """SIGKILL every process of ``uid``: a helper that takes that uid and calls kill(-1)."""
    try:
        helper = os.fork()
    except OSError:
        return
    if helper == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            for _ in range(3):
                try:
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:
                    break
        finally:
            os._exit(0)
    try:
        os.waitpid(helper, 0)
    except ChildProcessError:
        pass


def _fork_into_pid_namespace(own: int) -> int:
    """Fork a child that is pid 1 of a PID namespace of its own (nested in ours, named by the
    descriptor ``own``): when it dies, the kernel kills every process left in it."""
    L.unshare(L.CLONE_NEWPID)
    try:
        pid = os.fork()
    except BaseException:
        L.setns(own, L.CLONE_NEWPID)
        raise
    if pid:
        L.setns(own, L.CLONE_NEWPID)  # later forks (helpers, children) are ours again
    return pid


def _own_children() -> list[int]:
    """The pids of this process's children (of every thread)."""
    found = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/children") as fh:
                found += [int(pid) for pid in fh.read().split()]
        except OSError:
            continue
    return found


def _proc_cpu_seconds(pid: int) -> float | None:
    """utime + stime + cutime + cstime of ``pid`` (its own and its reaped children's)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _live_processes(uid: int) -> list[int]:
    """Pids of processes (not zombies) whose real uid is ``uid``."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as fh:
                text = fh.read(2048)
        except OSError:
            continue
        state = uid_line = b""
        for line in text.splitlines():
            if line.startswith(b"State:"):
                state = line
            elif line.startswith(b"Uid:"):
                uid_line = line
                break
        fields = uid_line.split()
        if len(fields) > 1 and fields[1] == str(uid).encode() and b"(zombie)" not in state:
            found.append(int(name))
    return found


def reseed() -> None:
    """Fresh seeds for every generator a child may use (the warm parent's were copied by fork)."""
    import random

    import numpy

    random.seed()
    numpy.random.seed(int.from_bytes(os.urandom(4), "little"))
    if "torch" in sys.modules:  # a warm parent without torch has no generator state to copy
        sys.modules["torch"].default_generator.manual_seed(int.from_bytes(os.urandom(8), "little") >> 1)


def _vm_size() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def main() -> None:
    """``python -m autograder.sandbox CONTROL_FD [DOOR_FD]`` (see :mod:`autograder.sandbox.lifecycle`)."""
    ctrl = socket.socket(fileno=int(sys.argv[1]))
    door = socket.socket(fileno=int(sys.argv[2])) if len(sys.argv) > 2 else None
    server = Server(ctrl, Config.from_plain(json.loads(ctrl.recv(1 << 20))), door)
    try:
        L.prctl(L.PR_SET_PDEATHSIG, signal.SIGKILL)
        for step in _warm.STEPS:
            step(server)
        L.prctl(L.PR_SET_DUMPABLE, 0)
        L.prctl(L.PR_SET_CHILD_SUBREAPER, 1)  # orphans come back to us to be reaped
    except BaseException as exc:  # noqa: BLE001
        ctrl.send(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())
        raise SystemExit(1) from None
    server.details["warm_parent_threads"] = str(len(os.listdir("/proc/self/task")))
    ctrl.send(json.dumps({"ready": True, "level": server.level(), "details": server.details,
                          "pid": os.getpid()}).encode())
    server.serve()
    os._exit(0)  # skip interpreter finalisation (seconds with torch loaded); pid 1 exiting ends the namespace
