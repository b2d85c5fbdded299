"""A cgroup per child, for memory, CPU and processes (v2, else v1), where one can be made.

The warm parent makes ``lrlab-sandbox-<pid>`` under its own cgroup of each controller the
policy names (:attr:`Policy.child_cgroups <autograder.sandbox.policy.Policy.child_cgroups>`)
before it enters any namespace, and keeps a descriptor of each (its file view will not show
``/sys/fs/cgroup``). Before each fork it makes ``child-<n>`` in them with the child's limits
(:meth:`ChildCgroups.prepare`); the child moves itself in first thing, while it still has the
privileges (:meth:`Prepared.join`: the files stay root's, it cannot undo any of it); the warm
parent reads the child's CPU time there (:meth:`ChildCgroups.cpu_seconds`: all its
processes, escaped sessions included) and removes the folders once the child is reaped.

* ``memory``: ``1.5 x`` the per-process address-space limit (:func:`group_limit`), no swap;
* ``cpu``: at most :attr:`Limits.cpu_share` CPUs for all of the child's processes together,
  so a child that forks busy loops slows only itself;
* ``pids``: at most :attr:`Limits.max_processes` processes;
* ``cpuacct`` (v1; v2's ``cpu.stat``): the CPU time its timeouts are judged in.

Where no cgroup can be made (not root, a read-only cgroupfs, v2 without delegation) the
address-space rlimit is the only memory limit (per process), the processes rlimit counts per
uid, nothing caps a child's share of the CPU, and its CPU time is its main process's own
and its reaped children's (``/proc/<pid>/stat``).
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
#: The scheduler's period, and how a CPU share becomes a quota of it.
CPU_PERIOD_US = 100_000


def group_limit(memory_bytes: int) -> int:
    """The memory cgroup's limit for a child with ``memory_bytes`` of address space per process:
    above what one process can reach (its rlimit stops it first, with a quick MemoryError),
    so the cgroup bounds what the rlimit cannot — the child's processes together, its
    kernel memory — at one and a half times the per-process limit."""
    return memory_bytes + memory_bytes // 2


@dataclass(frozen=True)
class ChildLimits:
    memory_bytes: int
    cpu_share: float
    max_processes: int


def _limit_files(controller: str, version: str, limits: ChildLimits) -> list[tuple[str, str]]:
    """(file, value) pairs that set ``controller``'s limits of a child cgroup."""
    quota = max(1000, int(CPU_PERIOD_US * limits.cpu_share))
    memory = group_limit(limits.memory_bytes)
    table = {
        ("memory", "cgroup2"): [("memory.max", str(memory)), ("memory.swap.max", "0")],
        ("memory", "cgroup1"): [("memory.limit_in_bytes", str(memory)), ("memory.memsw.limit_in_bytes", str(memory))],
        ("cpu", "cgroup2"): [("cpu.max", f"{quota} {CPU_PERIOD_US}")],
        ("cpu", "cgroup1"): [("cpu.cfs_period_us", str(CPU_PERIOD_US)), ("cpu.cfs_quota_us", str(quota))],
        ("pids", "cgroup2"): [("pids.max", str(limits.max_processes))],
        ("pids", "cgroup1"): [("pids.max", str(limits.max_processes))],
    }
    return table.get((controller, version), [])


@dataclass
class _Hierarchy:
    """One cgroup hierarchy this sandbox uses: the policy's controllers in it, and the warm
    parent's folder of child cgroups there (held open)."""

    version: str  # "cgroup2" or "cgroup1"
    names: tuple[str, ...]
    fd: int
    parent_fd: int  # the folder that holds it (its path is gone once the warm parent pivots)
    base: str


class Prepared:
    """One child's cgroups, made before its fork: :meth:`join` is the child's first step."""

    def __init__(self, procs: list[int]) -> None:
        self.procs = procs  # an open cgroup.procs per hierarchy

    def join(self) -> None:
        """Called in the child: move this process into every one of its cgroups."""
        for fd in self.procs:
            os.write(fd, b"0")

    def close(self) -> None:
        for fd in self.procs:
            os.close(fd)
        self.procs = []


class ChildCgroups:
    """The warm parent's folders of per-child cgroups, one per hierarchy it could use."""

    def __init__(self, hierarchies: list[_Hierarchy]) -> None:
        self.hierarchies = hierarchies

    @property
    def names(self) -> set[str]:
        """The controllers every child gets a cgroup of."""
        return {name for h in self.hierarchies for name in h.names}

    @property
    def fds(self) -> set[int]:
        """The descriptors it holds (the warm parent's only ones besides its sockets)."""
        return {fd for h in self.hierarchies for fd in (h.fd, h.parent_fd)}

    @classmethod
    def create(cls, wanted: Sequence[str]) -> tuple[ChildCgroups, dict[str, str]]:
        """This process's folders of child cgroups for each of ``wanted`` (controllers) that
        works here, and why the others do not."""
        own = _own_cgroups()
        errors = {name: "no such controller here" for name in wanted if name not in own}
        groups: dict[tuple[str, Path], list[str]] = {}
        for name in wanted:
            if name in own:
                groups.setdefault(own[name], []).append(name)
        made = []
        for (version, folder), names in groups.items():
            base = folder / f"lrlab-sandbox-{os.getpid()}"
            try:
                base.mkdir(mode=0o755)
            except OSError as exc:
                errors.update({name: f"{version}: {exc}"[:200] for name in names})
                continue
            try:
                if version == "cgroup2":
                    enabled = sorted({"cpu" if n == "cpuacct" else n for n in names})
                    (base / "cgroup.subtree_control").write_text(" ".join(f"+{n}" for n in enabled))
                probe = base / "child-probe"
                probe.mkdir()
                probe.rmdir()
                opened = [os.open(p, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC) for p in (base, folder)]
                made.append(_Hierarchy(version, tuple(names), *opened, base.name))
            except OSError as exc:
                errors.update({name: f"{version}: {exc}"[:200] for name in names})
                _rmdir(base)
        return cls(made), errors

    def prepare(self, name: str, limits: ChildLimits) -> Prepared:
        """Make the cgroups of child ``name`` with its limits (before its fork)."""
        procs: list[int] = []
        try:
            for h in self.hierarchies:
                os.mkdir(name, 0o755, dir_fd=h.fd)
                for controller in h.names:
                    for file, value in _limit_files(controller, h.version, limits):
                        optional = file in ("memory.memsw.limit_in_bytes", "memory.swap.max")  # no swap accounting
                        _write(h.fd, f"{name}/{file}", value, required=not optional)
                procs.append(os.open(f"{name}/cgroup.procs", os.O_WRONLY | os.O_CLOEXEC, dir_fd=h.fd))
        except OSError:
            for fd in procs:
                os.close(fd)
            self.remove(name)
            raise
        return Prepared(procs)

    def cpu_seconds(self, name: str) -> float | None:
        """The CPU time of every process child ``name`` ever had (None: no accounting here)."""
        for h in self.hierarchies:
            try:
                if h.version == "cgroup1" and "cpuacct" in h.names:
                    return int(_read(h.fd, f"{name}/cpuacct.usage")) / 1e9
                if h.version == "cgroup2":
                    fields = dict(line.split() for line in _read(h.fd, f"{name}/cpu.stat").splitlines())
                    return int(fields["usage_usec"]) / 1e6
            except (OSError, KeyError, ValueError):
                continue
        return None

    def remove(self, name: str) -> None:
        """Remove child ``name``'s cgroups (a no-op where processes of it remain)."""
        for h in self.hierarchies:
            try:
                os.rmdir(name, dir_fd=h.fd)
            except OSError:
                pass

    def close(self) -> None:
        """Remove every child's folder that is empty, then this sandbox's own."""
        for h in self.hierarchies:
            for entry in os.listdir(h.fd):
                if entry.startswith("child-"):
                    self.remove(entry)
            os.close(h.fd)
            try:
                os.rmdir(h.base, dir_fd=h.parent_fd)
            except OSError:
                pass
            os.close(h.parent_fd)
        self.hierarchies = []


def remove_leftovers(server_pid: int) -> None:
    """Remove the folders of a warm parent that is gone (``server_pid``, as its owner knows it)
    and could not remove them itself (killed, or failed to start): called by its owner, whose
    cgroups it had inherited. Folders that still hold processes stay."""
    for _, folder in set(_own_cgroups().values()):
        base = folder / f"lrlab-sandbox-{server_pid}"
        for child in base.glob("child-*"):
            _rmdir(child)
        _rmdir(base)


def _write(dir_fd: int, path: str, value: str, required: bool = True) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC, dir_fd=dir_fd)
    except FileNotFoundError:
        if required:
            raise
        return
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _read(dir_fd: int, path: str) -> str:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        return os.read(fd, 4096).decode()
    finally:
        os.close(fd)


def _rmdir(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass


def _own_cgroups() -> dict[str, tuple[str, Path]]:
    """This process's cgroup folder per controller (v2 where it has the controller, else v1)."""
    found: dict[str, tuple[str, Path]] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            for mount in (CGROUP_ROOT, CGROUP_ROOT / "unified"):
                own = mount / path.lstrip("/")
                if (mount / "cgroup.controllers").exists():
                    available = _read_text(own / "cgroup.controllers").split()
                    for name in available:
                        found[name] = ("cgroup2", own)
                    if "cpu" in available:
                        found["cpuacct"] = ("cgroup2", own)
        else:
            for name in controllers.split(","):
                found.setdefault(name, ("cgroup1", CGROUP_ROOT / name / path.lstrip("/")))
    return found


def _read_text(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
