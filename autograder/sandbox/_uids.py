"""Blocks of sandbox uids, unique across every grading process of this machine.

Each sandbox that gives its children uids of their own needs a block of ``size`` uids no
other live sandbox uses: the processes limit counts per uid and the final sweep kills a
killed child's uid *as a whole*, so a shared uid would let one grader kill another's
children. A block is held by an exclusive ``flock`` on its lock file in :data:`LOCK_DIRS`
(the first usable one), for as long as the holder keeps the returned descriptor open; the
kernel releases it when the process ends, however it ends.
"""
from __future__ import annotations

import fcntl
import os
import stat

#: Where the lock files live, first usable wins (one place for all graders of the machine).
LOCK_DIRS = ("/run/lrlab-sandbox-uids", "/tmp/lrlab-sandbox-uids")


class NoFreeBlock(RuntimeError):
    """Every block is held (or no lock directory can be used)."""


def _lock_dir() -> str:
    for path in LOCK_DIRS:
        try:
            os.makedirs(path, mode=0o700, exist_ok=True)
            info = os.lstat(path)
        except OSError:
            continue
        # Ours alone: a directory (not a symlink) owned by us, closed to others.
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o077:
            return path
    raise NoFreeBlock(f"no usable lock directory among {', '.join(LOCK_DIRS)}")


def acquire(base: int, size: int, count: int) -> tuple[int, int]:
    """Lock a free block: returns ``(first uid, descriptor holding the lock)``.

    Blocks are ``base + i * size`` for ``i`` in ``range(count)``, the lowest free one is
    taken (so there are never more lock files than graders that ran at once).
    """
    folder = _lock_dir()
    for index in range(count):
        fd = os.open(os.path.join(folder, f"block-{index}"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW,
                     0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return base + index * size, fd
    raise NoFreeBlock(f"all {count} sandbox uid blocks are in use")
