"""The warm parent's own set-up, before it serves: :data:`STEPS`, in order.

1. its folder of per-child memory cgroups, where it can (:mod:`autograder.sandbox._cgroup`);
2. new network and mount namespaces the first way that works here
   (:mod:`autograder.sandbox._namespaces`: directly as root, a user namespace carrying both
   otherwise), and a new PID namespace whose init it becomes (a thin shim process stays
   outside and waits): when it dies for any reason — even when the grading process is
   SIGKILLed — the kernel kills every process it ever started;
3. numpy, matplotlib (inline backend), IPython (one prepared shell), the harness modules it
   was given and the configured modules — by default torch and ``lrlab`` — never an
   assignment's checks (verified); every harness's tripwires armed; the seccomp filter, built
   once;
4. the course's private paths hidden in its mount namespace: the course root, the repo root
   and the policy's system folders become empty tmpfs, with only the interpreter, the venv and
   ``lrlab`` bound back read-only;
5. where the kernel has Landlock, what its children may read, listed once
   (:mod:`autograder.sandbox._landlock`: the same paths hidden, with or without a mount
   namespace);
6. a check that it holds no descriptor a child would clobber.

Each step records what it reached in ``server.details``; :meth:`Policy.level
<autograder.sandbox.policy.Policy.level>` names the level from them.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import signal
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.harness import load, merged, tripwire
from autograder.sandbox import _cgroup, _landlock, _namespaces, _seccomp
from autograder.sandbox import _linux as L

if TYPE_CHECKING:
    from autograder.sandbox._server import Server

#: Modules of the autograder the warm parent may hold, besides the harness modules it is
#: given (and the namespace packages of their folders): no check, no assignment, no grading.
PUBLIC_MODULES = ("autograder", "autograder.protocol", "autograder.reasons", "autograder.assignments")
PUBLIC_PACKAGES = ("autograder.harness", "autograder.sandbox")


def memory_cgroups(server: Server) -> None:
    """Per-child memory cgroups where one can be made (:attr:`Policy.memory_mechanisms`)."""
    mechanisms = server.policy.memory_mechanisms
    server.cgroups, why = _cgroup.MemoryCgroups.create(mechanisms[:-1])
    server.details["memory"] = server.cgroups.version if server.cgroups else mechanisms[-1]
    server.details["memory_cgroup"] = server.cgroups is not None
    if why:
        server.details["memory_cgroup_error"] = why[:300]


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


def hidden_paths(server: Server) -> list[Path]:
    """What no child may see: the ``hide`` paths (course root, repo root, ...) and the
    policy's ``hidden_system_dirs``, resolved, those that exist."""
    hide = [Path(p) for p in (*server.config.hide, *server.policy.hidden_system_dirs)]
    return [p.resolve() for p in hide if p.exists()]


def keep_paths(server: Server) -> list[Path]:
    """What children must see (read-only) although it lies under a hidden path:
    the interpreter, the venv, ``lrlab`` and the ``keep`` paths."""
    keep: list[Path] = []
    for p in [sys.prefix, sys.base_prefix, *server.config.keep]:
        rp = Path(p).resolve()
        if rp.exists() and rp not in keep:
            keep.append(rp)
    spec = importlib.util.find_spec("lrlab")  # without importing it (nor torch)
    for path in (spec.submodule_search_locations or []) if spec else []:
        if Path(path).resolve() not in keep:
            keep.append(Path(path).resolve())
    return keep


def hide(server: Server) -> None:
    """Step 4 (see the module doc); without a mount namespace, the folder of the children's
    own temp folders instead."""
    d = server.details
    d["hidden_paths"] = False
    server.kept = keep_paths(server)
    if not d["mount_namespace"]:
        server.children_tmp()  # made here, once: children only make their own folder in it
        return
    keep = server.kept
    # Masks inside other masks are covered already.
    masks = sorted(set(hidden_paths(server)), key=lambda p: len(p.parts))
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


def file_allow_list(server: Server) -> None:
    """List once what every child may read under Landlock: all but the hidden paths, the shared
    temp folders and ``/dev`` (a child needs only the policy's ``devices`` there; fewer rules,
    a faster start), the kept paths back in."""
    abi, why = _landlock.abi_version()
    server.details["landlock"] = abi > 0
    if not abi:
        server.details["landlock_error"] = why
        return
    server.details["landlock_abi"] = abi
    shared = [Path(p).resolve() for p in (*server.policy.shared_tmp_dirs, "/dev") if os.path.exists(p)]
    server.readable = _landlock.readable_roots(hidden_paths(server) + shared, server.kept)


def descriptors(server: Server) -> None:
    """Refuse to serve while anything but stdio and the control sockets (ctrl, door) is open.

    A child renumbers its descriptors (protocol socket as fd 3, all others closed),
    so an object of the warm parent that owns another descriptor (an open font file,
    say) would, in the child, read from or close whatever reuses that number —
    the protocol socket included — and the child would die for no visible reason.
    """
    stray = {}
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd in (0, 1, 2, server.ctrl.fileno(), server.door.fileno() if server.door else -1):
            continue
        try:
            stray[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # the descriptor listdir itself used
    if stray:
        raise RuntimeError(f"the warm parent holds file descriptors children would clobber: {stray}")
    server.details["warm_parent_fds_clean"] = True


#: The warm parent's set-up, in order.
STEPS: tuple[Callable[[Server], None], ...] = (memory_cgroups, namespaces, preload, hide, file_allow_list, descriptors)
