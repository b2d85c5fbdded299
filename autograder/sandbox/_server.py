"""The warm parent (fork server): isolates itself, imports the heavy libraries, forks children.

Started by :class:`autograder.sandbox.Sandbox` with a scrubbed environment and one
SOCK_SEQPACKET control socket. In order, it:

1. makes its folder of per-child memory cgroups where it can, then enters new network and
   mount namespaces the first way that works here (:mod:`autograder.sandbox.policy`:
   directly as root, a user namespace carrying both otherwise), or stays where it is, and
   records what it reached;
2. imports numpy, matplotlib (inline backend), IPython (one prepared shell), the public
   harness and the configured modules — by default torch and ``lrlab`` — never a hidden
   check module (verified);
3. hides the course's private paths in its mount namespace: the course root, the repo
   root and other private directories become empty tmpfs, with only the interpreter,
   the venv and ``lrlab`` bound back read-only; where the kernel has Landlock, lists once
   what its children may read (:mod:`autograder.sandbox._landlock`: the same paths hidden,
   with or without a mount namespace);
4. serves ``spawn``/``kill``/``status``/``shutdown`` requests. Each child gets its own
   session, its own mount namespace with a private tmpfs ``/tmp`` (cwd, HOME, TMPDIR;
   also ``/var/tmp``, ``/dev/shm``) into which the kept paths of step 3 that lie below it
   (a repo cloned under ``/tmp``) are bound back read-only, rlimits, a scrubbed
   environment, only its protocol socket as an fd, its memory cgroup, its Landlock
   allow-list (read what step 3 lists, write its private folders), the seccomp filter,
   and (as root) its own unprivileged uid from this server's block of ``UIDS_PER_SERVER``
   uids (locked by the grading process: :mod:`autograder.sandbox._uids`), so the whole of a child's
   processes can be killed by uid, the processes limit counts that child alone, and no two
   submissions share a uid.

Where allowed it also enters a new PID namespace and becomes its init (a thin shim
process stays outside and waits): when the server dies for any reason — even when the
grading process is SIGKILLed — the kernel kills every process it ever started, and
children see no process outside it.
"""
from __future__ import annotations

import fcntl
import json
import os
import resource
import select
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from autograder.sandbox import _linux as L
from autograder.sandbox import _cgroup, _landlock, _namespaces, _seccomp
from autograder.sandbox.policy import HIDDEN_SYSTEM_DIRS, SHARED_TMP_DIRS

UID_BASE = 1_000_000_000
UIDS_PER_SERVER = 1024
UID_BLOCKS = 3_000_000  # blocks of UIDS_PER_SERVER uids above UID_BASE (up to 2^32 - 2)
#: A child's descriptor for reporting its set-up (closed before the student's code runs).
SETUP_FD = 4
SETUP_OK = b"\0isolated"
PUBLIC_AUTOGRADER_MODULES = ("autograder", "autograder.checks", "autograder.checks.base", "autograder.reasons")
PUBLIC_AUTOGRADER_PACKAGES = ("autograder.harness", "autograder.sandbox")


class Server:
    def __init__(self, ctrl: socket.socket, config: dict[str, Any], door: socket.socket | None = None) -> None:
        self.ctrl = ctrl
        self.door = door  # where grading processes that share this server connect (see serve)
        self.conns: dict[int, socket.socket] = {}  # their connections, by file descriptor
        self.config = config
        self.limits = config["limits"]
        self.details: dict[str, Any] = {}
        self.children: dict[int, dict[str, Any]] = {}
        self.root = os.geteuid() == 0
        self.drop_uid = False
        self.pending_sweeps: set[int] = set()
        # What the children must see (read-only) although it lies under a hidden path or
        # under a directory every child covers with a private tmpfs (a repo under /tmp).
        self.kept: list[Path] = []
        # This server's uid block, locked by the grading process for the server's whole life
        # (autograder.sandbox._uids): no other grader of this machine uses it. None: no uids.
        self.uid_block: int | None = config.get("uid_block")
        if config.get("uid_block_error"):
            self.details["uid_block_error"] = config["uid_block_error"]
        self.next_uid = 0
        self.setup_fd = -1  # in a child being set up: where it reports how that went
        self._children_tmp: str | None = None
        self.seccomp: _seccomp.Filter | None = None
        self.cgroups: _cgroup.MemoryCgroups | None = None
        # What a child may read (Landlock, :mod:`_landlock`); None: no Landlock here.
        self.readable: list[str] | None = None

    # ------------------------------------------------------------------ isolation of the server

    def enter_namespaces(self) -> None:
        d = self.details
        _namespaces.enter(d)  # see policy.NAMESPACE_PATHS
        d["pid_namespace"] = False
        try:
            L.unshare(L.CLONE_NEWPID)
            self._become_init()
            d["pid_namespace"] = True
        except OSError as exc:
            d["pid_namespace_error"] = str(exc)
        if d["mount_namespace"]:
            try:
                L.mount(None, "/", None, L.MS_REC | L.MS_PRIVATE)
            except OSError as exc:
                d["mount_namespace"] = False
                d["mount_namespace_error"] = f"cannot make mounts private: {exc}"
        # Needs CAP_SETUID and the uid block to exist here (not so in a user namespace mapping one uid).
        self.drop_uid = (self.root and self.uid_block is not None and L.uid_mapped(self.uid_block)
                         and L.uid_mapped(self.uid_block + UIDS_PER_SERVER - 1))
        d["uid_drop"] = self.drop_uid

    def make_memory_cgroups(self) -> None:
        """Per-child memory cgroups where one can be made (policy.MEMORY_MECHANISMS)."""
        self.cgroups, why = _cgroup.MemoryCgroups.create()
        self.details["memory"] = self.cgroups.version if self.cgroups else "rlimit_as"
        if why:
            self.details["memory_cgroup_error"] = why[:300]

    def _become_init(self) -> None:
        """Fork into the new PID namespace as its pid 1; the original process waits outside."""
        pid = os.fork()
        if pid == 0:
            L.prctl(L.PR_SET_PDEATHSIG, signal.SIGKILL)  # the shim died: so do we (and the namespace)
            return
        self.ctrl.close()
        if self.door:
            self.door.close()
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)

    def preload(self) -> None:
        """Import numpy, matplotlib, IPython and the public harness, then the configured
        ``preload`` modules. With ``torch`` among them (the default) torch comes first,
        after ``lrlab`` (which pins PyTorch's CPU numerics before anything computes), and the
        shell is warmed up with an optimizer step and a figure; without it (tests of the
        sandbox itself) the warm parent starts in a fraction of the time and a child that
        imports torch pays for it."""
        t0 = time.monotonic()
        names = list(self.config.get("preload", []))
        import numpy  # noqa: F401

        if "torch" in names:
            import lrlab  # noqa: F401  (pins PyTorch's CPU numerics before anything computes)
            import torch

            torch.set_num_threads(1)
        import matplotlib

        matplotlib.use("module://matplotlib_inline.backend_inline")
        import matplotlib.pyplot  # noqa: F401

        import autograder.checks.base  # noqa: F401
        import autograder.harness  # noqa: F401
        from autograder.sandbox import _child

        _child.make_shell()
        if "torch" in names:
            _child.warm_up()  # its warm-up cell trains a tiny model: it imports torch
        _reseed()  # the first call of each generator is slow: pay it here, not per child
        import importlib
        import pkgutil

        for name in (n for n in names if n != "torch"):
            try:
                module = importlib.import_module(name)
            except Exception as exc:  # noqa: BLE001 - a broken optional module must not stop grading
                self.details[f"preload_error:{name}"] = f"{type(exc).__name__}: {exc}"[:200]
                continue
            for info in pkgutil.iter_modules(getattr(module, "__path__", []) or []):
                try:
                    importlib.import_module(f"{name}.{info.name}")
                except Exception as exc:  # noqa: BLE001
                    self.details[f"preload_error:{name}.{info.name}"] = f"{type(exc).__name__}: {exc}"[:200]
        _child.release_fonts()  # in case a preloaded module drew text (see check_descriptors)
        # Loaded by every child (policy.SECCOMP_DENIED; SECCOMP_DENIED_SHARED_UID for children
        # that run as the grader with the grader's view of the files).
        shared_uid = not self.drop_uid and not self.details.get("mount_namespace")
        self.seccomp, why = _seccomp.build(shared_uid=shared_uid)
        self.details["seccomp_metadata"] = shared_uid
        self.details["seccomp"] = self.seccomp is not None
        if why:
            self.details["seccomp_error"] = why
        self.details["preload_seconds"] = round(time.monotonic() - t0, 2)
        bad = [
            m for m in sys.modules
            if (m == "autograder" or m.startswith("autograder."))
            and m not in PUBLIC_AUTOGRADER_MODULES
            and not any(m == p or m.startswith(p + ".") for p in PUBLIC_AUTOGRADER_PACKAGES)
        ]
        if bad:
            raise RuntimeError(f"hidden modules imported by the warm parent: {bad}")
        self.details["hidden_modules_absent"] = True

    def hidden_paths(self) -> list[Path]:
        """What no child may see: the ``hide`` paths (course root, repo root, ...) and
        :data:`~autograder.sandbox.policy.HIDDEN_SYSTEM_DIRS`, resolved, those that exist."""
        hide = [Path(p) for p in self.config["hide"]] + [Path(p) for p in HIDDEN_SYSTEM_DIRS]
        return [p.resolve() for p in hide if p.exists()]

    def keep_paths(self) -> list[Path]:
        """What children must see (read-only) although it lies under a hidden path:
        the interpreter, the venv, ``lrlab`` and the ``keep`` paths."""
        keep: list[Path] = []
        for p in [sys.prefix, sys.base_prefix, *self.config.get("keep", [])]:
            rp = Path(p).resolve()
            if rp.exists() and rp not in keep:
                keep.append(rp)
        import importlib.util

        spec = importlib.util.find_spec("lrlab")  # without importing it (nor torch)
        for path in (spec.submodule_search_locations or []) if spec else []:
            if Path(path).resolve() not in keep:
                keep.append(Path(path).resolve())
        return keep

    def hide_paths(self) -> None:
        d = self.details
        d["hidden_paths"] = False
        self.kept = self.keep_paths()
        if not d["mount_namespace"]:
            self.children_tmp()  # made here, once: children only make their own folder in it
            return
        hide = self.hidden_paths()
        keep = self.kept
        # Masks inside other masks are covered already.
        masks = sorted(set(hide), key=lambda p: len(p.parts))
        top: list[Path] = []
        for m in masks:
            if not any(m != t and t in m.parents for t in top) and m not in top:
                top.append(m)
        keep_fds = {k: os.open(k, os.O_PATH) for k in keep}
        hidden = []
        try:
            for m in top:
                if m.is_dir():
                    L.mount("tmpfs", str(m), "tmpfs", L.MS_NOSUID | L.MS_NODEV, "mode=0755,size=64k")
                else:
                    L.mount("/dev/null", str(m), None, L.MS_BIND)
                hidden.append(str(m))
            for k, fd in keep_fds.items():
                if not any(m in k.parents or m == k for m in top):
                    continue
                if k.is_dir() or not k.exists():
                    os.makedirs(k, mode=0o755, exist_ok=True)
                L.mount(f"/proc/self/fd/{fd}", str(k), None, L.MS_BIND | L.MS_REC)
                try:
                    L.mount(None, str(k), None, L.MS_REMOUNT | L.MS_BIND | L.MS_RDONLY | L.MS_NOSUID | L.MS_NODEV)
                except OSError:
                    pass
            for m in top:
                if m.is_dir():
                    try:
                        L.mount(None, str(m), None, L.MS_REMOUNT | L.MS_RDONLY | L.MS_NOSUID | L.MS_NODEV, "mode=0755")
                    except OSError:
                        pass
        finally:
            for fd in keep_fds.values():
                os.close(fd)
        d["hidden_paths"] = True
        d["hidden"] = ", ".join(hidden)
        # A fresh /proc that shows the children only their own processes.
        try:
            L.mount("proc", "/proc", "proc", L.MS_NOSUID | L.MS_NODEV | L.MS_NOEXEC, "hidepid=2")
            d["proc_hidepid"] = True
        except OSError:
            d["proc_hidepid"] = False

    def plan_file_allow_list(self) -> None:
        """List once what every child may read under Landlock (:mod:`_landlock`): all but the
        hidden paths, the shared temp folders and ``/dev`` (a child needs only
        :data:`~autograder.sandbox.policy.DEVICES` there; fewer rules, a faster start), the kept
        paths back in."""
        abi, why = _landlock.abi_version()
        self.details["landlock"] = abi > 0
        if not abi:
            self.details["landlock_error"] = why
            return
        self.details["landlock_abi"] = abi
        shared = [Path(p).resolve() for p in (*SHARED_TMP_DIRS, "/dev") if os.path.exists(p)]
        hidden = self.hidden_paths() + shared
        self.readable = _landlock.readable_roots(hidden, self.kept)

    def check_descriptors(self) -> None:
        """Refuse to serve while anything but stdio and the control sockets (ctrl, door) is open.

        A child renumbers its descriptors (protocol socket as fd 3, all others closed),
        so an object of the warm parent that owns another descriptor (an open font file,
        say) would, in the child, read from or close whatever reuses that number —
        the protocol socket included — and the child would die for no visible reason.
        """
        stray = {}
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            if fd in (0, 1, 2, self.ctrl.fileno(), self.door.fileno() if self.door else -1):
                continue
            try:
                stray[fd] = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue  # the descriptor listdir itself used
        if stray:
            raise RuntimeError(f"the warm parent holds file descriptors children would clobber: {stray}")
        self.details["warm_parent_fds_clean"] = True

    def level(self) -> str:
        d = self.details
        parts = []
        if d.get("network_namespace"):
            parts.append("netns")
        if d.get("mount_namespace") and d.get("hidden_paths"):
            parts.append("mountns")
        if d.get("pid_namespace"):
            parts.append("pidns")
        if d.get("user_namespace"):
            parts.append("userns")
        if d.get("uid_drop"):
            parts.append("uid")
        if d.get("seccomp"):
            parts.append("seccomp")
        if d.get("landlock"):
            parts.append("landlock")
        if d.get("memory", "").startswith("cgroup"):
            parts.append("memcg")
        parts.append("rlimits")
        return "+".join(parts)

    # ------------------------------------------------------------------ children

    def spawn(self, kind: str, fd: int, owner: int) -> int:
        """Fork a child for connection ``owner``; return its pid once it is isolated, or raise
        :class:`ChildSetupFailed` (nothing of the student's ran: the environment is at fault,
        not the submission)."""
        vm = _vm_size()
        uid = self.allocate_uid() if self.drop_uid else os.getuid()
        ready_r, ready_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # ---------------- child: never returns
            os.close(ready_r)
            self.setup_fd = fcntl.fcntl(ready_w, fcntl.F_DUPFD_CLOEXEC, 1000)  # clear of fds 3 and 4
            os.close(ready_w)
            try:
                self._enter_child(kind, fd, vm, uid)
            except BaseException as exc:  # noqa: BLE001
                try:
                    os.write(self.setup_fd, f"{type(exc).__name__}: {exc}"[:400].encode(errors="replace"))
                finally:
                    os._exit(70)
            os._exit(0)
        os.close(ready_w)
        self.children[pid] = {"uid": uid, "status": None, "owner": owner}
        error = _setup_result(ready_r)
        if error:
            self.kill(pid)
            self.children.pop(pid, None)
            raise ChildSetupFailed(f"sandbox child setup failed: {error}")
        return pid

    def allocate_uid(self) -> int:
        """The next uid of this server's block that no child (alive or being swept) holds."""
        busy = self.pending_sweeps | {c["uid"] for c in self.children.values()}
        for _ in range(UIDS_PER_SERVER):
            uid = self.uid_block + self.next_uid
            self.next_uid = (self.next_uid + 1) % UIDS_PER_SERVER
            if uid not in busy:
                return uid
        raise RuntimeError("no free sandbox uid")

    def _enter_child(self, kind: str, fd: int, vm: int, uid: int) -> None:
        lim = self.limits
        os.setsid()
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # over-large files fail with EFBIG instead
        gid = uid if self.drop_uid else os.getgid()
        # Private /tmp (cwd, HOME, TMPDIR), /var/tmp and /dev/shm for this child only.
        tmp = "/tmp"
        # Its own network (abstract unix sockets are per network namespace) and System V
        # IPC namespaces, so concurrent submissions cannot talk to each other.
        for flags in (L.CLONE_NEWNET | L.CLONE_NEWIPC, L.CLONE_NEWIPC):
            try:
                L.unshare(flags)
                break
            except OSError:
                continue
        if self.details.get("mount_namespace"):
            L.unshare(L.CLONE_NEWNS)
            L.mount(None, "/", None, L.MS_REC | L.MS_PRIVATE)
            owner = f",uid={uid},gid={gid}" if self.drop_uid else ""
            covered: set[str] = set()
            for point, flags, size in (("/tmp", L.MS_NOSUID | L.MS_NODEV, int(lim["disk_bytes"])),
                                       ("/dev/shm", L.MS_NOSUID | L.MS_NODEV | L.MS_NOEXEC, "1m"),
                                       ("/var/tmp", L.MS_NOSUID | L.MS_NODEV | L.MS_NOEXEC, "1m")):
                real = os.path.realpath(point)
                if (point == "/tmp" or os.path.isdir(point)) and real not in covered:  # /var/tmp -> /tmp: once
                    covered.add(real)
                    self._private_tmpfs(real, flags, f"mode=0700,size={size}{owner}")
        else:
            import tempfile

            tmp = tempfile.mkdtemp(prefix="lrlab-child-", dir=self.children_tmp())
            if self.drop_uid:
                os.chown(tmp, uid, gid)
        # File descriptors: only the protocol socket survives, as fd 3 (and the set-up
        # report's pipe, closed below before anything of the student's runs).
        for sock in (self.ctrl, self.door, *self.conns.values()):
            if sock is not None:
                sock.detach()  # closed below by number, never later by a socket object
        os.dup2(fd, 3)
        self.setup_fd = os.dup2(self.setup_fd, SETUP_FD, inheritable=False)
        os.closerange(SETUP_FD + 1, 1 << 16)
        null = os.open("/dev/null", os.O_RDWR)
        for target in (0, 1, 2):
            os.dup2(null, target)
        os.close(null)
        # Resource limits (the processes limit counts this uid's processes only).
        for res, value in (
            (resource.RLIMIT_AS, vm + int(lim["memory_bytes"])),
            (resource.RLIMIT_CPU, int(lim["cpu_seconds"])),
            (resource.RLIMIT_NPROC, int(lim["max_processes"])),
            (resource.RLIMIT_FSIZE, int(lim["file_bytes"])),
            (resource.RLIMIT_NOFILE, int(lim["open_files"])),
            (resource.RLIMIT_CORE, 0),
        ):
            hard = value + 1 if res == resource.RLIMIT_CPU else value
            resource.setrlimit(res, (value, hard))
        # Scrubbed environment.
        os.environ.clear()
        os.environ.update({
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "HOME": tmp, "TMPDIR": tmp, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "MPLCONFIGDIR": f"{tmp}/.matplotlib", "IPYTHONDIR": f"{tmp}/.ipython",
            "PYTHONDONTWRITEBYTECODE": "1",
        })
        import tempfile

        tempfile.tempdir = tmp
        sys.path[:] = [p for p in sys.path if p != self.config["repo_root"]]
        if self.cgroups is not None:  # while it may still write there
            self.cgroups.enter(os.getpid(), _cgroup.group_limit(int(lim["memory_bytes"])))
        if self.readable is not None:  # from here on, files only where the allow-list says
            private = sorted({os.path.realpath(p) for p in (tmp, *SHARED_TMP_DIRS[1:])}) \
                if self.details.get("mount_namespace") else [tmp]
            _landlock.restrict(self.readable, private)
        # The unprivileged identity, and no capabilities left in any case (as "root" of a
        # user namespace, capabilities would let the student unmount what hides the course).
        L.drop_bounding_set()
        if self.drop_uid:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
        L.drop_capabilities()
        L.prctl(L.PR_SET_NO_NEW_PRIVS, 1)
        if self.seccomp is not None:
            self.seccomp.load()
        L.prctl(L.PR_SET_PDEATHSIG, signal.SIGKILL)
        os.chdir(tmp)
        # Fresh randomness (the warm parent's generators were copied by fork).
        _reseed()
        from autograder.sandbox import _child
        from autograder.sandbox._wire import Channel

        chan = Channel(socket.socket(fileno=3))
        os.write(SETUP_FD, SETUP_OK)
        os.close(SETUP_FD)  # from here on, the student's code
        if kind == "worker":
            _child.run_worker(chan, lim)
        else:
            _child.run_notebook(chan, lim)

    def children_tmp(self) -> str:
        """Without a mount namespace: the folder (in the system's /tmp, traversable, not
        listable) that holds each child's own temp folder until :meth:`shutdown`."""
        if self._children_tmp is None:
            import tempfile

            self._children_tmp = tempfile.mkdtemp(prefix="lrlab-children-", dir="/tmp")
            os.chmod(self._children_tmp, 0o711)
        return self._children_tmp

    def _private_tmpfs(self, point: str, flags: int, options: str) -> None:
        """Cover ``point`` with an empty tmpfs private to this child, then bind back, read-only,
        the kept paths (interpreter, venv, lrlab, ``keep``) below it, as this process saw them
        just before: with the repo cloned under /tmp, the child's /tmp would hide them.

        Only the kept paths come back: whatever else lay under ``point`` (the rest of a course
        root under /tmp, other users' files) stays out of sight, and what the warm parent hid
        inside a kept path (its tmpfs masks) comes back hidden too (recursive bind). A kept
        path that is ``point`` itself or above it is not bound: the private tmpfs wins.
        """
        below = [k for k in self.kept if Path(point) in k.parents]
        outermost = [k for k in below if not any(o in k.parents for o in below)]
        fds = {str(k): os.open(k, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC) for k in outermost}
        try:
            L.mount("tmpfs", point, "tmpfs", flags, options)
            for target, fd in fds.items():
                L.bind_back_readonly(fd, target)
        finally:
            for fd in fds.values():
                os.close(fd)

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.children:
                self.children[pid]["status"] = {
                    "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                    "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
                }
            if self.cgroups is not None:
                self.cgroups.remove(pid)

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
                pid = self.spawn(req["kind"], fds[0], owner)
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
                return "" if said == SETUP_OK else said.decode(errors="replace") or "it died during set-up"
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


def _reseed() -> None:
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
    ctrl = socket.socket(fileno=int(sys.argv[2]))
    door = socket.socket(fileno=int(sys.argv[3])) if len(sys.argv) > 3 else None
    config = json.loads(ctrl.recv(1 << 20))
    server = Server(ctrl, config, door)
    try:
        L.prctl(L.PR_SET_PDEATHSIG, signal.SIGKILL)
        server.make_memory_cgroups()
        server.enter_namespaces()
        server.preload()
        server.hide_paths()
        server.plan_file_allow_list()
        server.check_descriptors()
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


if __name__ == "__main__":
    main()
