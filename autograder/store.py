"""Outcome records on disk: ``outcomes/<assignment>/<student>.json`` under the course root.

One file per submission, written atomically (temp file + rename in the same folder), so a
run killed at any moment leaves either the old record or the new one, never half of one.
A record is *current* when its ``submission_hash`` equals the sha256 of the submission as
it is now (:func:`submission_hash`); ``grade`` only regrades what is not current.

Files the grader writes (here and in ``exports/``, ``feedback/``, ``reports/``,
``autograded/``) get the mode a plain ``open()`` gives (0666 minus the umask). When the
course is group-shared (nbgrader's ``CourseDirectory.groupshared``) they also get group
read/write and the folders created for them group rwx + setgid, as nbgrader gives its own
files, so a co-instructor in the course's group can read and replace them.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
from pathlib import Path
from typing import Any

from autograder.outcome import Outcome

OUTCOMES = "outcomes"


def outcome_dir(root: Path, assignment: str) -> Path:
    return Path(root) / OUTCOMES / assignment


def outcome_path(root: Path, assignment: str, student: str) -> Path:
    return outcome_dir(root, assignment) / f"{student}.json"


GROUP_RW = stat.S_IRGRP | stat.S_IWGRP
GROUP_SHARED_DIR = stat.S_ISGID | stat.S_IRWXU | stat.S_IRWXG  # nbgrader's 2770 on shared folders


def make_dirs(folder: Path, *, group_shared: bool = False) -> Path:
    """``folder.mkdir(parents=True)``; when group-shared, every folder created here (and
    ``folder`` itself when it is ours) gets group rwx + setgid, as nbgrader does."""
    folder = Path(folder)
    created: list[Path] = []
    probe = folder
    while not probe.exists():
        created.append(probe)
        probe = probe.parent
    folder.mkdir(parents=True, exist_ok=True)
    if group_shared:
        for path in {*created, folder}:
            mode = path.stat().st_mode
            if mode & GROUP_SHARED_DIR != GROUP_SHARED_DIR:
                with contextlib.suppress(PermissionError):  # another instructor's folder: theirs to set
                    os.chmod(path, stat.S_IMODE(mode) | GROUP_SHARED_DIR)
    return folder


def atomic_write_bytes(path: Path, data: bytes, *, group_shared: bool = False) -> Path:
    """Write ``data`` to ``path`` via a temp file + rename in the same folder, so a reader
    (or a run killed midway) sees the old file or the new one, never half of one.

    The file's mode follows the umask (and the course's group sharing): see the module doc.
    """
    path = Path(path)
    make_dirs(path.parent, group_shared=group_shared)
    tmp = path.parent / f".{path.stem}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            if group_shared:
                os.fchmod(fh.fileno(), stat.S_IMODE(os.fstat(fh.fileno()).st_mode) | GROUP_RW)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: Path, text: str, *, group_shared: bool = False) -> Path:
    """:func:`atomic_write_bytes` of ``text`` as UTF-8 (newlines written as given)."""
    return atomic_write_bytes(path, text.encode("utf-8"), group_shared=group_shared)


def write(root: Path, outcome: Outcome, *, group_shared: bool = False) -> Path:
    """Atomically (re)place the record of ``outcome``'s submission."""
    return atomic_write_text(outcome_path(root, outcome.assignment, outcome.student), outcome.to_json(),
                             group_shared=group_shared)


def read(root: Path, assignment: str, student: str) -> Outcome | None:
    """The stored outcome, or None when absent or unreadable (then it is simply regraded)."""
    path = outcome_path(root, assignment, student)
    try:
        return Outcome.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def read_all(root: Path, assignment: str) -> dict[str, Outcome]:
    """{student: outcome} of every readable record of ``assignment``."""
    found: dict[str, Outcome] = {}
    folder = outcome_dir(root, assignment)
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.json")):
        outcome = read(root, assignment, path.stem)
        if outcome is not None:
            found[path.stem] = outcome
    return found


def assignments_with_outcomes(root: Path) -> list[str]:
    folder = Path(root) / OUTCOMES
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def submission_hash(submission_dir: Path, assignment: str) -> str:
    """sha256 of the submitted notebook ``<assignment>.ipynb``'s bytes. Never raises.

    When that notebook is missing (renamed, or a non-notebook upload) the hash covers every
    other file's name and bytes instead, so any change to the folder triggers a regrade.
    ``timestamp.txt`` and ``submission_secret.txt`` are nbgrader's bookkeeping, not the work.
    Files are read in chunks, and only up to :data:`HASHED_BYTES`: a larger one (no notebook is
    that large: validation refuses it) is hashed by its size, inode and modification time,
    which change whenever it is replaced. A file that cannot be read is hashed by the error,
    so the submission is graded (and validation says what is wrong) instead of stopping the run.
    """
    folder = Path(submission_dir)
    notebook = folder / f"{assignment}.ipynb"
    digest = hashlib.sha256()
    if _is_regular(notebook):
        _hash_file(digest, notebook)
        return digest.hexdigest()
    digest.update(b"no-notebook\0")
    for dirpath, dirnames, filenames in os.walk(folder, onerror=lambda err: digest.update(_error_bytes(err))):
        dirnames.sort()  # never follows symlinks
        for name in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
            path = Path(dirpath) / name
            rel = str(path.relative_to(folder))
            if rel in ("timestamp.txt", "submission_secret.txt"):
                continue
            digest.update(rel.encode("utf-8", "surrogateescape") + b"\0")
            if _is_regular(path):
                _hash_file(digest, path)
                digest.update(b"\0")
            elif path.is_symlink():  # a link is hashed by where it points, never read through
                try:
                    digest.update(b"link:" + os.fsencode(os.readlink(path)) + b"\0")
                except OSError as err:
                    digest.update(_error_bytes(err))
    return digest.hexdigest()


#: The most of one file :func:`submission_hash` reads (a submitted notebook may be 20 MB).
HASHED_BYTES = 64 << 20
_CHUNK = 1 << 20


def _hash_file(digest: Any, path: Path) -> None:
    """Add a regular file's bytes to ``digest`` chunk by chunk, without following a symlink;
    a file larger than :data:`HASHED_BYTES` by its size, inode and time; an unreadable one
    by the error."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as err:
        digest.update(_error_bytes(err))
        return
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > HASHED_BYTES:
            digest.update(f"unread:{info.st_mode}:{info.st_size}:{info.st_ino}:{info.st_mtime_ns}".encode())
            return
        while chunk := os.read(fd, _CHUNK):
            digest.update(chunk)
    except OSError as err:
        digest.update(_error_bytes(err))
    finally:
        os.close(fd)


def _error_bytes(err: OSError) -> bytes:
    return f"error:{err.errno}:{err.strerror}\0".encode()


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False
