"""The children's file view: an allow-list, the way bubblewrap and nsjail build one.

A child sees, and may read, only what :attr:`Policy.read_only
<autograder.sandbox.policy.Policy.read_only>` lists, filled in by the warm parent (:func:`plan`):

* ``{executable}`` — the interpreter (and the symbolic links that lead to it);
* ``{libraries}`` — the folders of every shared library and data file the warm parent has
  mapped (the C library, libpython, the locale …): what a program the child starts needs;
* ``{stdlib}``, ``{venv}``, ``{lrlab}`` — the standard library, the virtual environment's
  packages, the course's library;
* the few files of ``/etc`` Python reads, and the sandbox's ``keep`` paths;

plus its own ``/proc``, the policy's devices and its private folders — nothing else of the
machine, wherever other copies of the course, homes or other users' files live. The hidden
paths (the course root, the repository root, the sandbox's ``hide`` paths, and in a venv the
base interpreter's own site-packages) stay out even where they lie inside an allowed folder;
an allowed path inside a hidden one (the venv and ``lrlab`` inside the repository) comes back:
the more specific entry wins.

In a mount namespace the warm parent makes that view its root (:func:`build_root`): an empty
tmpfs, each allowed path bound in read-only at its own path, the links on the way recreated,
the hidden paths inside them covered, a fresh ``/proc``, the devices and empty mount points
for the private folders; then ``pivot_root`` into it and the old root detached, so no path
leads to the rest of the machine. Every child starts from that root. Without a mount
namespace Landlock allows exactly the same paths (:meth:`View.readable`).
"""
from __future__ import annotations

import importlib.util
import os
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from autograder.sandbox import _linux as L

#: Where the view is assembled before the warm parent pivots into it (covered by a tmpfs in
#: its own mount namespace: nothing is written to the machine's folder).
STAGE = "/tmp"


@dataclass(frozen=True)
class View:
    """What a child may read: ``trees`` (real paths, folders or files, read-only), the
    symbolic ``links`` on the way to them (path, target), and the ``hidden`` paths inside them."""

    trees: tuple[str, ...]
    links: tuple[tuple[str, str], ...]
    hidden: tuple[str, ...]

    def readable(self) -> list[str]:
        """The trees with every hidden path cut out (the Landlock rules of a view without a
        mount namespace): a tree with a hidden path inside is replaced by its entries, each
        judged the same way, and allowed paths inside a hidden one come back."""
        hidden = {Path(h) for h in self.hidden}
        roots: list[str] = []

        def cover(path: Path) -> None:
            if path in hidden:
                return
            if not any(path in h.parents for h in hidden):
                roots.append(str(path))
                return
            try:
                entries = sorted(os.scandir(path), key=lambda e: e.name)
            except OSError:
                return
            for entry in entries:
                if not entry.is_symlink():
                    cover(Path(entry.path))

        for tree in self.trees:
            cover(Path(tree))
        return list(dict.fromkeys(roots))


def resolve(path: str, links: dict[str, str], depth: int = 0) -> str:
    """``path`` with every symbolic link on the way resolved (like :func:`os.path.realpath`),
    noting each link met (its path and target) in ``links``."""
    if depth > 40:
        raise OSError(f"too many symbolic links resolving {path}")
    current = "/"
    for part in Path(os.path.abspath(path)).parts[1:]:
        step = os.path.join(current, part)
        if os.path.islink(step):
            target = os.readlink(step)
            links[step] = target
            current = resolve(os.path.normpath(os.path.join(current, target)), links, depth + 1)
        else:
            current = os.path.normpath(step)
    return current


def _mapped_files() -> set[str]:
    """The files this process has mapped (its executable, shared libraries, locale data)."""
    found = set()
    with open("/proc/self/maps") as fh:
        for line in fh:
            fields = line.split(maxsplit=5)
            if len(fields) == 6 and fields[5].startswith("/") and not fields[5].endswith(" (deleted)\n"):
                found.add(fields[5].rstrip("\n"))
    return found


def _is_library(path: str) -> bool:
    """A shared object or the C library's locale and character-set data (never, say, a
    cache file of /etc a library happened to map: its folder would come in whole)."""
    return ".so" in os.path.basename(path) or "/locale/" in path or "/gconv/" in path


def _elf_interpreter(path: str) -> list[str]:
    """The program loader an ELF executable names (``/lib64/ld-linux-x86-64.so.2``), if any."""
    import struct

    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
            if head[:5] != b"\x7fELF\x02":  # 64-bit ELF only
                return []
            order = "<" if head[5] == 1 else ">"
            phoff, = struct.unpack_from(order + "Q", head, 0x20)
            size, count = struct.unpack_from(order + "HH", head, 0x36)
            fh.seek(phoff)
            table = fh.read(size * count)
            for i in range(count):
                kind, _, offset, _, _, filesz = struct.unpack_from(order + "IIQQQQ", table, i * size)
                if kind == 3:  # PT_INTERP
                    fh.seek(offset)
                    return [fh.read(filesz).rstrip(b"\0").decode()]
    except (OSError, struct.error, UnicodeDecodeError):
        pass
    return []


def _loader_folders() -> list[str]:
    """The folders the program loader searches, as written (``/lib/x86_64-linux-gnu`` …: their
    symbolic links must exist in the view for a program the child starts to find its libraries)."""
    folders = ["/lib", "/lib64", "/usr/lib", "/usr/lib64"]
    pending = ["/etc/ld.so.conf"]
    while pending:
        try:
            lines = Path(pending.pop()).read_text().splitlines()
        except OSError:
            continue
        for line in (raw.split("#", 1)[0].strip() for raw in lines):
            if line.startswith("include "):
                pending += sorted(str(p) for p in Path("/").glob(line.split(None, 1)[1].lstrip("/")))
            elif line.startswith("/"):
                folders.append(line)
    return folders


def placeholders() -> dict[str, list[str]]:
    """What the placeholders of :attr:`Policy.read_only` stand for in this process."""
    executable = os.path.realpath(sys.executable)
    libraries = {os.path.dirname(os.path.realpath(f)) for f in _mapped_files()
                 if os.path.realpath(f) != executable and os.path.exists(f) and _is_library(f)}
    spec = importlib.util.find_spec("lrlab")  # without importing it (nor torch)
    return {
        "{executable}": [sys.executable, executable, *_elf_interpreter(executable)],
        "{libraries}": sorted(libraries) + [f for f in _loader_folders() if os.path.realpath(f) in libraries],
        "{stdlib}": [sysconfig.get_path("stdlib")],
        "{venv}": [sys.prefix] if sys.prefix != sys.base_prefix else [],
        "{lrlab}": list(spec.submodule_search_locations or []) if spec else [],
    }


def plan(read_only: Iterable[str], keep: Iterable[str], hide: Iterable[str]) -> View:
    """The view of :attr:`Policy.read_only` (placeholders filled in), the ``keep`` paths, and
    ``hide`` plus (in a venv) the base interpreter's site-packages out of it."""
    values = placeholders()
    wanted = [p for item in read_only for p in values.get(item, [item])] + list(keep)
    links: dict[str, str] = {}
    trees: list[str] = []
    for path in wanted:
        if not os.path.lexists(path):
            continue
        real = resolve(path, links)
        if os.path.exists(real) and real not in trees:
            trees.append(real)
    hidden = [resolve(p, {}) for p in hide if os.path.exists(p)]
    if sys.prefix != sys.base_prefix:  # the venv's packages, never the base interpreter's own
        base = {"base": sys.base_prefix, "platbase": sys.base_prefix}
        hidden += [resolve(p, {}) for p in sysconfig.get_paths(vars=base).values()
                   if p.endswith("site-packages") and os.path.isdir(p)]
    # A hidden path matters inside a tree only; a tree inside another one is in it already,
    # unless a hidden path lies between them.
    hidden = sorted({h for h in hidden if any(_inside(h, t) for t in trees)}, key=_depth)
    trees = sorted((t for t in trees if not any(_covers(o, t, hidden) for o in trees)), key=_depth)
    return View(tuple(trees), tuple(sorted(links.items())), tuple(hidden))


def _inside(path: str, folder: str) -> bool:
    """Whether ``path`` lies strictly inside ``folder``."""
    return Path(folder) in Path(path).parents


def _covers(outer: str, tree: str, hidden: Iterable[str]) -> bool:
    """Whether binding ``outer`` already shows ``tree``: it lies inside, with no hidden path
    between them."""
    return _inside(tree, outer) and not any(_inside(h, outer) and (h == tree or _inside(tree, h)) for h in hidden)


def _depth(path: str) -> tuple[int, str]:
    return path.count("/"), path


def build_root(view: View, devices: Iterable[str], mount_points: Iterable[str]) -> None:
    """Make the view this process's root (see the module doc); in a private mount namespace.

    ``devices``: character devices bound in (read-write); ``mount_points``: empty folders for
    what each child mounts of its own (its private tmpfs)."""
    # Reach everything through descriptors before anything is covered (a tree under /tmp).
    sources = {path: os.open(path, os.O_PATH | os.O_CLOEXEC) for path in (*view.trees, *devices)
               if os.path.exists(path)}
    try:
        L.mount("tmpfs", STAGE, "tmpfs", L.MS_NOSUID | L.MS_NODEV, "mode=0755,size=1m")
        for path, target in view.links:
            _make_parents(path)
            if not os.path.lexists(STAGE + path):
                os.symlink(target, STAGE + path)
        steps = sorted([(t, "tree") for t in view.trees] + [(h, "hide") for h in view.hidden],
                       key=lambda step: (step[0].count("/"), step[1] == "tree"))
        for path, kind in steps:
            if kind == "tree" and path in sources:
                _make_point(path, sources[path])
                L.mount(f"/proc/self/fd/{sources[path]}", STAGE + path, None, L.MS_BIND | L.MS_REC)
                L.remount_readonly(STAGE + path)
            elif kind == "hide":
                _cover(path)
        os.makedirs(STAGE + "/proc", mode=0o555)
        L.mount("proc", STAGE + "/proc", "proc", L.MS_NOSUID | L.MS_NODEV | L.MS_NOEXEC)
        os.makedirs(STAGE + "/dev", mode=0o755)
        L.mount("tmpfs", STAGE + "/dev", "tmpfs", L.MS_NOSUID | L.MS_NOEXEC, "mode=0755,size=64k")
        for device in devices:
            if device in sources:
                _make_point(device, sources[device])
                L.mount(f"/proc/self/fd/{sources[device]}", STAGE + device, None, L.MS_BIND)
        for point in mount_points:
            os.makedirs(STAGE + point, mode=0o755, exist_ok=True)
    finally:
        for fd in sources.values():
            os.close(fd)
    os.makedirs(STAGE + "/.old", mode=0o700)
    L.pivot_root(STAGE, STAGE + "/.old")
    os.chdir("/")
    L.umount("/.old", L.MNT_DETACH)
    os.rmdir("/.old")
    # Nothing may be added to the view (each bound tree keeps its own read-only mount).
    for point in ("/", "/dev", *(h for h in view.hidden if os.path.isdir(h))):
        L.mount(None, point, None, L.MS_REMOUNT | L.MS_RDONLY | L.MS_NOSUID | L.MS_NODEV)


def _make_parents(path: str) -> None:
    os.makedirs(STAGE + os.path.dirname(path), mode=0o755, exist_ok=True)


def _make_point(path: str, fd: int) -> None:
    """An empty folder or file at ``path`` in the stage, for a bind mount of what ``fd`` names."""
    import stat

    _make_parents(path)
    if stat.S_ISDIR(os.fstat(fd).st_mode):
        os.makedirs(STAGE + path, mode=0o755, exist_ok=True)
    elif not os.path.exists(STAGE + path):
        os.close(os.open(STAGE + path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o444))


def _cover(path: str) -> None:
    """Hide what lies at ``path`` in a bound tree: an empty folder (made read-only once the
    view is complete), or ``/dev/null``."""
    target = STAGE + path
    if os.path.isdir(target):
        L.mount("tmpfs", target, "tmpfs", L.MS_NOSUID | L.MS_NODEV, "mode=0755,size=4k")
    elif os.path.exists(target):
        L.mount("/dev/null", target, None, L.MS_BIND)
