"""A memory cgroup per child, under the warm parent's own cgroup (v2, else v1), where allowed.

The warm parent makes ``lrlab-sandbox-<pid>`` under its own memory cgroup before it enters
any namespace; each child makes ``child-<pid>`` in it, sets the limit and moves itself in
while it still has the privileges (the files stay root's: it cannot undo either). The
warm parent removes a child's folder once it has been reaped, and its own at shutdown.
Where no cgroup can be made (not root, a read-only cgroupfs, v2 without delegation) the
address-space rlimit, which every child has anyway, is the only memory limit: per process,
so a child's forked processes together can exceed it.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def group_limit(memory_bytes: int) -> int:
    """The cgroup's limit for a child with ``memory_bytes`` of address space per process:
    above what one process can reach (its rlimit stops it first, with a quick MemoryError),
    so the cgroup bounds what the rlimit cannot — the child's processes together, its
    kernel memory — at one and a half times the per-process limit."""
    return memory_bytes + memory_bytes // 2


class MemoryCgroups:
    """The warm parent's folder of per-child memory cgroups."""

    def __init__(self, base: Path, version: str) -> None:
        self.base = base
        self.version = version  # "cgroup2" or "cgroup1"

    @property
    def limit_file(self) -> str:
        return "memory.max" if self.version == "cgroup2" else "memory.limit_in_bytes"

    @classmethod
    def create(cls, versions: Sequence[str]) -> tuple[MemoryCgroups | None, str]:
        """This process's folder of child cgroups, of the first of ``versions`` ("cgroup2",
        "cgroup1") that works here, or (None, why not)."""
        errors = []
        own_groups = sorted((g for g in _own_memory_cgroups() if g[0] in versions), key=lambda g: versions.index(g[0]))
        for version, own in own_groups:
            base = own / f"lrlab-sandbox-{os.getpid()}"
            try:
                base.mkdir(mode=0o755)
                if version == "cgroup2":
                    (base / "cgroup.subtree_control").write_text("+memory")
                made = cls(base, version)
                probe = base / "child-probe"
                probe.mkdir()
                try:
                    (probe / made.limit_file).write_text(str(64 << 20))
                finally:
                    probe.rmdir()
                return made, ""
            except OSError as exc:
                errors.append(f"{version}: {exc}")
                try:
                    base.rmdir()
                except OSError:
                    pass
        return None, "; ".join(errors) or "no memory cgroup"

    def enter(self, pid: int, limit: int) -> None:
        """Called by the child ``pid`` itself: a cgroup of its own limited to ``limit`` bytes."""
        group = self.base / f"child-{pid}"
        group.mkdir(mode=0o755)
        (group / self.limit_file).write_text(str(limit))
        swap = group / ("memory.swap.max" if self.version == "cgroup2" else "memory.memsw.limit_in_bytes")
        if swap.exists():  # no escape into swap (v1: memory + swap together, v2: swap alone)
            swap.write_text("0" if self.version == "cgroup2" else str(limit))
        (group / "cgroup.procs").write_text("0")

    def remove(self, pid: int) -> None:
        """Remove a reaped child's cgroup (a no-op while processes of it remain)."""
        try:
            (self.base / f"child-{pid}").rmdir()
        except OSError:
            pass

    def close(self) -> None:
        for group in self.base.glob("child-*"):
            try:
                group.rmdir()
            except OSError:
                pass
        try:
            self.base.rmdir()
        except OSError:
            pass


def _own_memory_cgroups() -> list[tuple[str, Path]]:
    """The folders of this process's memory cgroup, by version."""
    found = []
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            for mount in (CGROUP_ROOT, CGROUP_ROOT / "unified"):
                own = mount / path.lstrip("/")
                if (mount / "cgroup.controllers").exists() and "memory" in _read(own / "cgroup.controllers"):
                    found.insert(0, ("cgroup2", own))
        elif "memory" in controllers.split(","):
            found.append(("cgroup1", CGROUP_ROOT / "memory" / path.lstrip("/")))
    return found


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
