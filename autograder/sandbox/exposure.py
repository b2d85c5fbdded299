"""What a level leaves within a sandboxed child's reach: the instructor-only files (at a level
that hides none), and other students (at a level that does not keep them apart:
:attr:`~autograder.sandbox.policy.Level.separates_students`, :func:`apart_refusal`).

With a mount namespace or Landlock (:attr:`autograder.sandbox.policy.Level.hides_files`) no
child reaches them. Without either, only the permission bits stand between a child and the files:

* a child that runs under the grader's own uid (no ``uid`` part) reaches everything the
  grader can, to read AND write: every existing path is exposed;
* a child with a uid of its own (``uid``: root gives each child an unprivileged uid in no
  group, owning nothing) is an "other" user for every file: a path is exposed unless some
  folder on the way to it is closed to others (no ``o+x``), or it is itself closed to them
  (no ``o+rwx`` for a folder, no ``o+rw`` for a file). The check is conservative: a folder
  others may enter counts as exposed, whatever its entries' bits.
"""
from __future__ import annotations

import stat
from collections.abc import Iterable
from pathlib import Path

from autograder.sandbox.policy import Level, Part

#: The repository's instructor-only trees (the hidden checks, curve bank and tuning data live
#: in ``autograder/``; solutions in ``source/``; all of it in the history).
REPO_PRIVATE = ("autograder", "source", ".git")

_OTHERS_ON_FOLDER = stat.S_IROTH | stat.S_IWOTH | stat.S_IXOTH
_OTHERS_ON_FILE = stat.S_IROTH | stat.S_IWOTH


def repo_private_paths(repo_root: Path) -> list[Path]:
    """The repository's instructor-only trees that exist."""
    return [repo_root / name for name in REPO_PRIVATE if (repo_root / name).exists()]


def reachable_by_others(path: Path) -> bool:
    """Whether a user who owns nothing and belongs to no group could open ``path`` (read or
    write), or look inside it if it is a folder."""
    path = path.resolve()
    for folder in reversed(path.parents):
        if not folder.stat().st_mode & stat.S_IXOTH:
            return False
    mode = path.stat().st_mode
    return bool(mode & (_OTHERS_ON_FOLDER if stat.S_ISDIR(mode) else _OTHERS_ON_FILE))


def exposed_paths(level: Level, paths: Iterable[Path]) -> list[Path]:
    """The ``paths`` a child at isolation ``level`` could read or write (see the module doc)."""
    if level.hides_files:
        return []
    existing = [Path(p) for p in paths if Path(p).exists()]
    if Part.UID not in level:
        return existing
    return [p for p in existing if reachable_by_others(p)]


def refusal(level: Level, exposed: list[Path]) -> str:
    """The one line that says why grading does not start, and the three ways out."""
    who = ("each child has a uid of its own, but others may open" if Part.UID in level
           else "each child runs as the grader's own user and may read and write")
    more = f" (+{len(exposed) - 1} more)" if len(exposed) > 1 else ""
    return (f"isolation {level} hides no file (no mount namespace, no Landlock): {who} {exposed[0]}{more}. "
            f"Fix: chmod o-rwx those paths, grade where user namespaces or Landlock work, "
            f"or accept the risk with --allow-weak-isolation")


def apart_refusal(level: Level) -> str:
    """The one line that says why grading does not start at a level that does not keep
    students apart, and the ways out."""
    return (f"isolation {level} does not keep students apart (no PID namespace per child, no uid per child, "
            f"no Landlock scoping): one student's code could signal, trace or outlive another's or the sandbox. "
            f"Fix: grade as root, where user namespaces work, or on Linux >= 6.12 with Landlock, "
            f"or accept the risk with --allow-weak-isolation")
