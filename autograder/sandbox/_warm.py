"""The warm parent's own set-up, before it serves: :data:`STEPS`, in order.

1. its folders of per-child cgroups (memory, CPU, processes), where it can
   (:mod:`autograder.sandbox._cgroup`), and whether the scheduler shares the CPU fairly
   between sessions (autogroup);
2. new network and mount namespaces the first way that works here
   (:mod:`autograder.sandbox._namespaces`: directly as root, a user namespace carrying both
   otherwise), and a new PID namespace whose init it becomes (a thin shim process stays
   outside and waits): when it dies for any reason — even when the grading process is
   SIGKILLed — the kernel kills every process it ever started; then whether each child can
   have a PID namespace of its own, nested in it;
3. numpy, matplotlib (inline backend), IPython (one prepared shell), the harness modules it
   was given and the configured modules — by default torch and ``lrlab`` — never an
   assignment's checks (verified); every harness's tripwires armed; the seccomp filter, built
   once;
4. the children's file view, an allow-list (:mod:`autograder.sandbox._view`): in its mount
   namespace it becomes this process's root, so the course, the repository and everything
   else of the machine are gone from every child's sight;
5. where the kernel has Landlock, what its children may read, listed once
   (:mod:`autograder.sandbox._landlock`: the same allow-list, with or without a mount
   namespace);
6. the signals a child might send it, ignored;
7. a check that it holds no descriptor a child would clobber.

Each step records what it reached in ``server.details``; :meth:`Policy.level
<autograder.sandbox.policy.Policy.level>` names the level from them.
"""
from __future__ import annotations

import importlib
import os
import pkgutil
import signal
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.harness import load, merged, tripwire
from autograder.sandbox import _cgroup, _landlock, _namespaces, _seccomp, _view
from autograder.sandbox import _linux as L

if TYPE_CHECKING:
    from autograder.sandbox._server import Server

#: Modules of the autograder the warm parent may hold, besides the harness modules it is
#: given (and the namespace packages of their folders): no check, no assignment, no grading.
PUBLIC_MODULES = ("autograder", "autograder.protocol", "autograder.reasons", "autograder.assignments")
PUBLIC_PACKAGES = ("autograder.harness", "autograder.sandbox")


def child_cgroups(server: Server) -> None:
    """Per-child cgroups where they can be made (:attr:`Policy.child_cgroups`)."""
    server.cgroups, errors = _cgroup.ChildCgroups.create(server.policy.child_cgroups)
    made = server.cgroups.names
    d = server.details
    d.update(memory_cgroup="memory" in made, cpu_cgroup="cpu" in made, pids_cgroup="pids" in made)
    d["memory"] = next((h.version for h in server.cgroups.hierarchies if "memory" in h.names), "rlimit_as")
    for name, why in errors.items():
        d[f"{name}_cgroup_error"] = why


def namespaces(server: Server) -> None:
    d = server.details
    _namespaces.enter(d)  # see policy.NAMESPACE_PATHS
    d["pid_namespace"] = False
    try:
        L.unshare(L.CLONE_NEWPID)
        _become_init(server)
        d["pid_namespace"] = True
    except OSError as exc:
        d["pid_namespace_error"] = str(exc)
    d["child_pid_namespace"] = False
    if d["pid_namespace"]:  # then each child can have one of its own, nested in ours
        try:
            server.pidns_fd = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
            L.unshare(L.CLONE_NEWPID)
            L.setns(server.pidns_fd, L.CLONE_NEWPID)
            d["child_pid_namespace"] = True
        except OSError as exc:
            d["child_pid_namespace_error"] = str(exc)
    if d["mount_namespace"]:
        try:
            L.mount(None, "/", None, L.MS_REC | L.MS_PRIVATE)
        except OSError as exc:
            d["mount_namespace"] = False
            d["mount_namespace_error"] = f"cannot make mounts private: {exc}"
    # Needs CAP_SETUID and the uid block to exist here (not so in a user namespace mapping one uid).
    block = server.config.uid_block
    server.drop_uid = (server.root and block is not None and L.uid_mapped(block)
                       and L.uid_mapped(block + server.policy.uids.uids_per_sandbox - 1))
    d["uid_drop"] = server.drop_uid


def _become_init(server: Server) -> None:
    """Fork into the new PID namespace as its pid 1; the original process waits outside."""
    pid = os.fork()
    if pid == 0:
        L.prctl(L.PR_SET_PDEATHSIG, signal.SIGKILL)  # the shim died: so do we (and the namespace)
        return
    server.ctrl.close()
    if server.door:
        server.door.close()
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def preload(server: Server) -> None:
    """Import numpy, matplotlib, IPython and the harness modules, then the configured
    ``preload`` modules. With ``torch`` among them (the default) torch comes first, after
    ``lrlab`` (which pins PyTorch's CPU numerics before anything computes), and the shell is
    warmed up with an optimizer step and a figure; without it (tests of the sandbox itself)
    the warm parent starts in a fraction of the time and a child that imports torch pays
    for it. Refuses (raises) when any module of the autograder but the public ones came in."""
    t0 = time.monotonic()
    names = list(server.config.preload)
    import numpy  # noqa: F401

    if "torch" in names:
        import lrlab  # noqa: F401  (pins PyTorch's CPU numerics before anything computes)
        import torch

        torch.set_num_threads(1)
    import matplotlib

    matplotlib.use(server.policy.environment["MPLBACKEND"])
    import matplotlib.pyplot  # noqa: F401

    server.harness = merged(load(name) for name in server.config.harness)
    from autograder.sandbox import _child

    _child.make_shell()
    if "torch" in names:
        _child.warm_up()  # its warm-up cell trains a tiny model: it imports torch
    from autograder.sandbox._server import reseed

    reseed()  # the first call of each generator is slow: pay it here, not per child
    for name in (n for n in names if n != "torch"):
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - a broken optional module must not stop grading
            server.details[f"preload_error:{name}"] = f"{type(exc).__name__}: {exc}"[:200]
            continue
        for info in pkgutil.iter_modules(getattr(module, "__path__", []) or []):
            try:
                importlib.import_module(f"{name}.{info.name}")
            except Exception as exc:  # noqa: BLE001
                server.details[f"preload_error:{name}.{info.name}"] = f"{type(exc).__name__}: {exc}"[:200]
    _child.release_fonts()  # in case a preloaded module drew text (see check_descriptors)
    # Every assignment's tripwires, once, after the warm-up used a scheduler and before any
    # child exists: each child reports its hits (autograder.harness.tripwire).
    tripwire.arm(server.harness.tripwires)
    # Loaded by every child; the metadata calls too for children that run as the grader with
    # the grader's view of the files.
    shared_uid = not server.drop_uid and not server.details.get("mount_namespace")
    server.seccomp, why = _seccomp.build(server.policy, shared_uid=shared_uid)
    server.details["seccomp_metadata"] = shared_uid
    server.details["seccomp"] = server.seccomp is not None
    if why:
        server.details["seccomp_error"] = why
    server.details["preload_seconds"] = round(time.monotonic() - t0, 2)
    bad = hidden_modules(sys.modules, server.config.harness)
    if bad:
        raise RuntimeError(f"hidden modules imported by the warm parent: {bad}")
    server.details["hidden_modules_absent"] = True


def hidden_modules(loaded: Iterable[str], harness: Iterable[str]) -> list[str]:
    """The modules of the autograder among ``loaded`` that a warm parent must not hold."""
    allowed = set(PUBLIC_MODULES)
    for name in harness:
        allowed.add(name)
        allowed.add(name.rsplit(".", 1)[0])  # the assignment's folder (a namespace package)
    return sorted(m for m in loaded if (m == "autograder" or m.startswith("autograder.")) and m not in allowed
                  and not any(m == p or m.startswith(p + ".") for p in PUBLIC_PACKAGES))


def file_view(server: Server) -> None:
    """Step 4: the children's file view (:mod:`autograder.sandbox._view`): made this process's
    root in its mount namespace, else only planned (Landlock allows the same paths, step 5; the
    children's own temp folders are then folders of theirs in the machine's /tmp)."""
    d = server.details
    d["file_view"] = False
    server.view = _view.plan(server.policy.read_only, server.config.keep, server.config.hide)
    server.kept = [Path(tree) for tree in server.view.trees]
    if not d["mount_namespace"]:
        server.children_tmp()  # made here, once: children only make their own folder in it
        return
    points = [os.path.realpath(t.point) for t in server.policy.child_tmpfs]
    _view.build_root(server.view, server.policy.devices, points)
    d["file_view"] = True
    d["hidden"] = ", ".join(server.view.hidden)


def file_allow_list(server: Server) -> None:
    """Step 5: where the kernel has Landlock, what every child may read under it: the view's
    paths and ``/proc`` (its own, with a PID namespace per child); in a view of its own, the
    trees as bound, else the view's paths with the hidden ones cut out."""
    abi, why = _landlock.abi_version()
    server.details["landlock"] = abi > 0
    server.details["landlock_scope"] = abi >= _landlock.SCOPE_ABI
    if not abi:
        server.details["landlock_error"] = why
        return
    server.details["landlock_abi"] = abi
    server.landlock_abi = abi
    own_view = server.details["file_view"]
    server.readable = [*(server.view.trees if own_view else server.view.readable()), "/proc"]


def cpu_share(server: Server) -> None:
    """Whether the scheduler gives each session a fair share of the CPU (autogroup): each
    child starts one and may not start another (seccomp), so however many processes it forks
    they share one child's share — where it has no CPU cgroup, its only limit."""
    try:
        server.details["autogroup"] = Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        server.details["autogroup"] = False


def signals(server: Server) -> None:
    """Step 6: the policy's ``ignored_signals`` change nothing here (children restore them)."""
    for name in server.policy.ignored_signals:
        signal.signal(getattr(signal, name), signal.SIG_IGN)


def descriptors(server: Server) -> None:
    """Refuse to serve while anything but stdio and the control sockets (ctrl, door) is open.

    A child renumbers its descriptors (protocol socket as fd 3, all others closed),
    so an object of the warm parent that owns another descriptor (an open font file,
    say) would, in the child, read from or close whatever reuses that number —
    the protocol socket included — and the child would die for no visible reason.
    """
    stray = {}
    own = {0, 1, 2, server.ctrl.fileno(), server.door.fileno() if server.door else -1, server.pidns_fd,
           *(server.cgroups.fds if server.cgroups else ())}
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd in own:
            continue
        try:
            stray[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # the descriptor listdir itself used
    if stray:
        raise RuntimeError(f"the warm parent holds file descriptors children would clobber: {stray}")
    server.details["warm_parent_fds_clean"] = True


#: The warm parent's set-up, in order.
STEPS: tuple[Callable[[Server], None], ...] = (child_cgroups, cpu_share, namespaces, preload, file_view,
                                               file_allow_list, signals, descriptors)
