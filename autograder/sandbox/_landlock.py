"""The children's file allow-list: Landlock (Linux >= 5.13) through the ``landlock`` binding.

Any process may restrict its own file access with Landlock, without privileges and whether
or not it could make a mount namespace. Each child, before any student code, keeps only:

* **read** (open, list, execute) of what the :class:`~autograder.sandbox.policy.Policy` leaves
  in sight: every path but the hidden ones (its ``hidden_system_dirs``, the course root, the
  repo root, the sandbox's ``hide`` paths, the machine's ``shared_tmp_dirs``), with the kept
  paths (interpreter, venv, ``lrlab``, ``keep``) back in;
* **everything** in its private folders (its own temp folder; in a mount namespace also its
  other private tmpfs, ``/dev/shm`` and ``/var/tmp``);
* read and write of the harmless character devices (the policy's ``devices``), and nothing
  else of ``/dev``.

Anything else — reading, writing, creating, removing, renaming, truncating — fails with
``PermissionError`` whatever the permission bits say. Landlock does not govern path lookup
or metadata: a child can still ``stat`` a hidden path (learn that it exists, its size, its
times), never read or change its content. The readable roots are listed once by the warm
parent (:func:`readable_roots`); each child adds its own folders (:func:`restrict`).
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def abi_version() -> tuple[int, str]:
    """The kernel's Landlock ABI version, or (0, why there is none here)."""
    import ctypes

    try:
        import landlock
    except ImportError as exc:
        return 0, f"no landlock binding: {exc}"[:200]
    ctypes.set_errno(0)  # the binding reads errno, not the result: an earlier failed call must not count
    try:
        return int(landlock.landlock_abi_version()), ""
    except OSError as exc:  # ENOSYS: not built in; EOPNOTSUPP: disabled at boot; EPERM: a seccomp profile
        return 0, f"Landlock unavailable: {exc}".replace("\n", " ")[:200]


def readable_roots(hidden: Iterable[Path], kept: Iterable[Path]) -> list[str]:
    """The fewest paths whose trees hold everything except ``hidden``, plus ``kept``.

    A folder with nothing hidden below it is one root; one with a hidden path below is
    replaced by its entries, each judged the same way. Symbolic links are left out (what they
    point to is judged at its own path). All paths are resolved, absolute."""
    hidden = {Path(h) for h in hidden}
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

    cover(Path("/"))
    roots += [str(k) for k in kept if str(k) not in roots]
    return roots


def restrict(readable: Iterable[str], private: Iterable[str], devices: Iterable[str]) -> None:
    """Apply the allow-list to this process (irreversibly; sets ``no_new_privs``).

    ``readable``: trees to read and execute; ``private``: trees with every right; ``devices``:
    character devices to read and write. A path that vanished since the list was made is
    skipped (nothing beneath it was allowed)."""
    import ctypes

    from landlock import FSAccess, Ruleset

    ctypes.set_errno(0)  # the binding reads errno, not the result: start from a clean one
    ruleset = Ruleset()  # every access right this kernel knows is denied unless allowed below
    handled = ruleset.restrict_rules
    read = (FSAccess.READ_FILE | FSAccess.READ_DIR | FSAccess.EXECUTE) & handled
    device = (FSAccess.READ_FILE | FSAccess.WRITE_FILE | getattr(FSAccess, "IOCTL_DEV", 0)) & handled
    try:
        for paths, rights in ((readable, read), (private, handled), (devices, device)):
            for path in paths:
                try:
                    ruleset.allow(path, rules=rights if os.path.isdir(path) else rights & FSAccess.all_file())
                except FileNotFoundError:
                    continue
        ruleset.apply()
    finally:
        os.close(ruleset._fd)  # the binding keeps the ruleset's descriptor open; the child must not
