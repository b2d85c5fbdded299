"""A child's set-up, in the forked child, before any student code: :data:`STEPS`, in order.

Every step reads what it does from the warm parent's :class:`~autograder.sandbox.policy.Policy`
(and what the warm parent reached: its mount namespace, its uids, its Landlock list, its
seccomp filter, its memory cgroups). A step that fails stops the set-up: the child reports
why on its set-up pipe and exits, no student code runs, and the grading environment is at
fault (``grader_error``). Adding a wall is one more step here and, where it is a setting,
one more field of the policy. The PID namespace of its own it was forked into already
(:func:`autograder.sandbox._server._fork_into_pid_namespace`), as pid 1.
"""
from __future__ import annotations

import fcntl
import os
import resource
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.sandbox import _cgroup, _landlock
from autograder.sandbox import _linux as L

if TYPE_CHECKING:
    from autograder.sandbox._server import Server

#: The child's protocol socket.
PROTOCOL_FD = 3
#: An answer child's report descriptor: write only, its tripwire's hits go to the trusted side
#: (:mod:`autograder.sandbox.hits`).
REPORT_FD = 4
#: A child's descriptor for reporting its set-up (closed before the student's code runs).
SETUP_FD = 5
SETUP_OK = b"\0isolated"


@dataclass
class ChildSetup:
    """One child being set up: what it was forked with, and where it keeps its files."""

    kind: str  # "answers" or "notebook" (what it runs once set up)
    fd: int  # its protocol socket, as received from the trusted side
    report_fd: int | None  # its report descriptor's socket (answer children), as received
    parent_vm: int  # the warm parent's address space at the fork (the AS rlimit adds to it)
    uid: int
    gid: int
    name: str  # "child-<n>": its cgroups' name
    cgroups: _cgroup.Prepared | None  # made for it by the warm parent (where it can)
    tmp: str = ""  # its private temp folder: cwd, HOME, TMPDIR


Step = Callable[["Server", ChildSetup], None]


def cgroups(server: Server, child: ChildSetup) -> None:
    """Into its own cgroups (memory, CPU share, processes) first, while it may still move itself."""
    if child.cgroups is not None:
        child.cgroups.join()
        child.cgroups.close()


def session(server: Server, child: ChildSetup) -> None:
    """Its own session and process group; default signal handlers; over-large files fail
    with EFBIG instead of killing it."""
    os.setsid()
    for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def namespaces(server: Server, child: ChildSetup) -> None:
    """The first set of :attr:`Policy.child_namespaces` this machine allows."""
    for names in server.policy.child_namespaces:
        flags = 0
        for name in names:
            flags |= L.CLONE_FLAGS[name]
        try:
            L.unshare(flags)
            return
        except OSError:
            continue


def private_folders(server: Server, child: ChildSetup) -> None:
    """In a mount namespace of its own: :attr:`Policy.child_tmpfs`, each an empty tmpfs with the
    kept paths below it bound back read-only; the first is its temp folder; and, in a PID
    namespace of its own, a ``/proc`` that shows its own processes alone. Without a mount
    namespace: a folder of its own in the warm parent's folder of children's temp folders."""
    if not server.details.get("mount_namespace"):
        child.tmp = tempfile.mkdtemp(prefix="lrlab-child-", dir=server.children_tmp())
        if server.drop_uid:
            os.chown(child.tmp, child.uid, child.gid)
        return
    L.unshare(L.CLONE_NEWNS)
    L.mount(None, "/", None, L.MS_REC | L.MS_PRIVATE)
    owner = f",uid={child.uid},gid={child.gid}" if server.drop_uid else ""
    covered: set[str] = set()
    for tmpfs in server.policy.child_tmpfs:
        real = os.path.realpath(tmpfs.point)
        first = not child.tmp
        if (first or os.path.isdir(tmpfs.point)) and real not in covered:  # /var/tmp -> /tmp: once
            covered.add(real)
            flags = L.MS_NOSUID | L.MS_NODEV | (L.MS_NOEXEC if tmpfs.noexec else 0)
            _private_tmpfs(server, real, flags, f"mode=0700,size={tmpfs.size_bytes}{owner}")
        if first:
            child.tmp = tmpfs.point
    if server.details.get("child_pid_namespace"):
        L.mount("proc", "/proc", "proc", L.MS_NOSUID | L.MS_NODEV | L.MS_NOEXEC)


def _private_tmpfs(server: Server, point: str, flags: int, options: str) -> None:
    """Cover ``point`` with an empty tmpfs private to this child, then bind back, read-only,
    the kept paths (interpreter, venv, lrlab, ``keep``) below it, as this process saw them
    just before: with the repo cloned under /tmp, the child's /tmp would hide them.

    Only the kept paths come back: whatever else lay under ``point`` (the rest of a course
    root under /tmp, other users' files) stays out of sight, and what the warm parent hid
    inside a kept path (its tmpfs masks) comes back hidden too (recursive bind). A kept
    path that is ``point`` itself or above it is not bound: the private tmpfs wins.
    """
    below = [k for k in server.kept if Path(point) in k.parents]
    outermost = [k for k in below if not any(o in k.parents for o in below)]
    fds = {str(k): os.open(k, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC) for k in outermost}
    try:
        L.mount("tmpfs", point, "tmpfs", flags, options)
        for target, fd in fds.items():
            L.bind_back_readonly(fd, target)
    finally:
        for fd in fds.values():
            os.close(fd)


def descriptors(server: Server, child: ChildSetup) -> None:
    """Only the protocol socket survives, as fd 3, and an answer child's report descriptor as
    fd 4, which it may write but not read (and the set-up report's pipe, closed before anything
    of the student's runs); stdin, stdout and stderr are ``/dev/null``."""
    for sock in (server.ctrl, server.door, *server.conns.values()):
        if sock is not None:
            sock.detach()  # closed below by number, never later by a socket object
    received = [(child.fd, PROTOCOL_FD), *([(child.report_fd, REPORT_FD)] if child.report_fd is not None else [])]
    high = [(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 1000), target) for fd, target in received]  # clear of 3-5
    for fd, target in high:
        os.dup2(fd, target)
    server.setup_fd = os.dup2(server.setup_fd, SETUP_FD, inheritable=False)
    os.closerange(SETUP_FD + 1, 1 << 16)
    if child.report_fd is not None:
        socket.socket(fileno=REPORT_FD).detach()  # a socket: /proc/self/fd/4 cannot be reopened
        report = socket.socket(fileno=os.dup(REPORT_FD))
        report.shutdown(socket.SHUT_RD)  # nothing to read back from the trusted side
        report.close()
    null = os.open("/dev/null", os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(null, target)
    os.close(null)


def rlimits(server: Server, child: ChildSetup) -> None:
    """:attr:`Policy.rlimits` (the processes limit counts this child's uid only)."""
    for limit in server.policy.rlimits:
        base = child.parent_vm if limit.above_parent else 0
        resource.setrlimit(getattr(resource, f"RLIMIT_{limit.resource}"), (base + limit.soft, base + limit.hard))


def environment(server: Server, child: ChildSetup) -> None:
    """:attr:`Policy.environment` and nothing else; temp files in its temp folder; the repo
    root off ``sys.path`` unless the child sees its own file view (there the repo root holds
    the kept paths only, and ``lrlab`` imports from the checkout the grader runs from, also when
    another interpreter's venv installed a different checkout)."""
    os.environ.clear()
    os.environ.update({key: value.format(tmp=child.tmp, bin=Path(sys.executable).parent)
                       for key, value in server.policy.environment.items()})
    tempfile.tempdir = child.tmp
    if not server.details.get("file_view"):
        sys.path[:] = [p for p in sys.path if p != server.config.repo_root]


def out_of_memory_first(server: Server, child: ChildSetup) -> None:
    """The kernel's out-of-memory killer takes it before the warm parent or a grading process.
    (Its own /proc files are its own only while it is dumpable: briefly, before any student code.)"""
    L.prctl(L.PR_SET_DUMPABLE, 1)
    try:
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write(str(server.policy.oom_score_adj))
    finally:
        L.prctl(L.PR_SET_DUMPABLE, 0)


def file_allow_list(server: Server, child: ChildSetup) -> None:
    """From here on, files only where the Landlock allow-list says (where the kernel has it):
    read what the warm parent listed, everything in its private folders; no signal to, nor
    abstract socket of, any process outside its own domain (where the kernel scopes)."""
    if server.readable is None:
        return
    if server.details.get("mount_namespace"):
        private = sorted({os.path.realpath(t.point) for t in server.policy.child_tmpfs})
    else:
        private = [child.tmp]
    _landlock.restrict(server.landlock_abi, server.readable, private, server.policy.devices,
                       list_all=bool(server.details.get("file_view")))


def identity(server: Server, child: ChildSetup) -> None:
    """The unprivileged identity, and no capabilities left in any case (as "root" of a user
    namespace, capabilities would let the student unmount what hides the course)."""
    L.drop_bounding_set()
    if server.drop_uid:
        os.setgroups([])
        os.setresgid(child.gid, child.gid, child.gid)
        os.setresuid(child.uid, child.uid, child.uid)
    L.drop_capabilities()
    L.prctl(L.PR_SET_NO_NEW_PRIVS, 1)


def system_calls(server: Server, child: ChildSetup) -> None:
    """The seccomp filter the warm parent built from :attr:`Policy.seccomp_denied`."""
    if server.seccomp is not None:
        server.seccomp.load()


def last_details(server: Server, child: ChildSetup) -> None:
    """Dies with the warm parent; works in its temp folder; fresh randomness (the warm
    parent's generators were copied by fork)."""
    L.prctl(L.PR_SET_PDEATHSIG, signal.SIGKILL)
    os.chdir(child.tmp)
    from autograder.sandbox._server import reseed

    reseed()


#: A child's set-up, in order.
STEPS: tuple[Step, ...] = (cgroups, session, namespaces, private_folders, descriptors, rlimits, out_of_memory_first,
                           environment, file_allow_list, identity, system_calls, last_details)


def enter(server: Server, child: ChildSetup) -> None:
    """Set the child up (:data:`STEPS`), report it isolated, then run what it was forked for."""
    for step in STEPS:
        step(server, child)
    from autograder.sandbox import _child
    from autograder.sandbox._wire import Channel

    chan = Channel(socket.socket(fileno=PROTOCOL_FD))
    os.write(SETUP_FD, SETUP_OK)
    os.close(SETUP_FD)  # from here on, the student's code
    if child.kind == "answers":
        _child.serve_answers(chan, server.policy.limits, server.harness,
                             REPORT_FD if child.report_fd is not None else None)
    else:
        _child.serve_notebook(chan, server.policy.limits)
