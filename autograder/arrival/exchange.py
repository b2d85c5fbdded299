"""The nbgrader exchange as the grading service reads and writes it (nbgrader 0.9.6's layout).

* A submission is a folder ``<exchange>/<course>/inbound/<student>+<assignment>+<timestamp>[+<random>]/``
  that nbgrader's ``ExchangeSubmit`` writes: the student's files, then ``timestamp.txt``, then
  ``submission_secret.txt``. The folder's name is the event; it is complete once the secret is
  there (:func:`arrivals`). Nothing is ever removed from the inbound folder, so it is the
  queue: whatever a restart finds there without a record of its own is new.
* Feedback is ``<exchange>/<course>/feedback/<key>.html`` with ``key = notebook_hash(secret,
  notebook id)`` (nbgrader's ``ExchangeReleaseFeedback``); the student's ``ExchangeFetchFeedback``
  recomputes the key from the secret in its own copy of the submission, so every attempt has its
  own page and the Assignments tab lists it under that submission (:func:`release_page`).

When an attempt arrived is the folder's ``ctime`` (set by the file system when the submission
finished, not by the student's server, and kept across restarts): the cool-down, the attempt
count and the closing time are judged on it. Lateness is nbgrader's and uses ``timestamp.txt``.
"""
from __future__ import annotations

import os
import re
import secrets
import stat
from dataclasses import dataclass
from typing import Any
from datetime import datetime, timezone
from pathlib import Path

SECRET = "submission_secret.txt"
TIMESTAMP = "timestamp.txt"
INBOUND_NAME = re.compile(r"^(?P<student>[^+]+)\+(?P<assignment>[^+]+)\+(?P<timestamp>[^+]+)(?:\+(?P<random>[^+]+))?$")
_SAFE = re.compile(r"[^A-Za-z0-9_=-]")
#: What the grading service may read of a submission's files (a larger one is not a notebook anyway).
MAX_SECRET_BYTES = 4096


@dataclass(frozen=True)
class Arrival:
    """One submission folder in the exchange's inbound folder."""

    name: str  # the folder's name: student+assignment+timestamp[+random]
    student: str
    assignment: str
    timestamp: str  # as the student's server wrote it
    random: str
    folder: Path

    @classmethod
    def parse(cls, folder: Path) -> Arrival | None:
        """The arrival a folder name describes, or None for anything else."""
        match = INBOUND_NAME.match(folder.name)
        if match is None:
            return None
        return cls(folder.name, match["student"], match["assignment"], match["timestamp"], match["random"] or "", folder)

    @property
    def attempt_id(self) -> str:
        """A file name for this attempt that sorts by submission time: the timestamp's digits,
        then nbgrader's random string (both kept to the characters safe in a file name)."""
        digits = re.sub(r"\D", "", self.timestamp)[:20] or "0"
        tail = _SAFE.sub("_", self.random)[:40]
        return f"{digits}-{tail}" if tail else digits

    def arrived(self) -> datetime:
        """When the exchange got it (the folder's ctime), naive UTC like nbgrader's times."""
        return datetime.fromtimestamp(os.stat(self.folder).st_ctime, timezone.utc).replace(tzinfo=None)

    def secret(self) -> str | None:
        """The submission's secret as nbgrader reads it (the whole file: its feedback's key is
        made of it), None when not there yet."""
        return _read_small(self.folder / SECRET)

    @property
    def complete(self) -> bool:
        """nbgrader writes the secret last: the folder is whole once it is there."""
        return bool((self.secret() or "").strip())


def inbound_dir(exchange: str | Path, course_id: str) -> Path:
    return Path(exchange) / course_id / "inbound"


def feedback_dir(exchange: str | Path, course_id: str) -> Path:
    return Path(exchange) / course_id / "feedback"


def arrivals(exchange: str | Path, course_id: str, known: set[str] = frozenset()) -> list[Arrival]:
    """The complete submission folders in the inbound folder whose names are not in ``known``."""
    folder = inbound_dir(exchange, course_id)
    found = []
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return []
    for entry in entries:
        if entry.name in known or not entry.is_dir(follow_symlinks=False):
            continue
        arrival = Arrival.parse(Path(entry.path))
        if arrival is not None and arrival.complete:
            found.append(arrival)
    return found


def feedback_key(secret: str, notebook_id: str) -> str:
    """nbgrader's key of a released feedback page (``notebook_hash(secret=, notebook_id=)``)."""
    from nbgrader.utils import notebook_hash

    return notebook_hash(secret=secret, notebook_id=notebook_id)


def release_page(exchange: str | Path, course_id: str, secret: str, notebook_id: str, page: str,
                 group_shared: bool = False) -> Path:
    """Put ``page`` where the student's Fetch Feedback finds this submission's feedback, as
    ``ExchangeReleaseFeedback`` does: written beside, then moved in place (atomic)."""
    folder = feedback_dir(exchange, course_id)
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        # nbgrader's mode for it: others may open a page by its key, never list the folder
        mode = stat.S_IRWXU | stat.S_IXGRP | stat.S_IXOTH
        os.chmod(folder, mode | (stat.S_IRGRP | stat.S_IWGRP | stat.S_ISGID if group_shared else 0))
    target = folder / f"{feedback_key(secret, notebook_id)}.html"
    tmp = folder / f".{target.stem}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), 0o664 if group_shared else 0o644)
            fh.write(page)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _read_small(path: Path) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return None
        data = fh.read(MAX_SECRET_BYTES)
    return data.decode("utf-8", errors="replace") or None


def student_app(cls: type, exchange: str | Path, home: Path, course_id: str, student: str, assignment: str) -> Any:
    """nbgrader's exchange app ``cls`` (``ExchangeFetchAssignment``, ``ExchangeSubmit``,
    ``ExchangeFetchFeedback``) as ``student``'s own server runs it from ``home``: for the tests
    and the benchmark that play the students."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    cfg = Config()
    cfg.Exchange.root = str(exchange)
    cfg.Exchange.assignment_dir = str(home)
    cfg.Exchange.cache = str(home / ".cache")
    cfg.CourseDirectory.course_id = course_id
    cfg.CourseDirectory.student_id = student
    cfg.CourseDirectory.assignment_id = assignment
    home.mkdir(parents=True, exist_ok=True)
    return cls(coursedir=CourseDirectory(config=cfg), authenticator=Authenticator(config=cfg), config=cfg)
