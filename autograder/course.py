"""The course as nbgrader sees it: a course root, its ``nbgrader_config.py``, its folders.

:class:`Course` loads the configuration into nbgrader's own ``CourseDirectory`` and hands out
nbgrader's ``NbGraderAPI`` and ``Gradebook`` for it; :class:`CourseError` is the one error an
instructor's request raises (the command line prints it and exits with status 2). Writing
scores into the gradebook is :mod:`autograder.gradebook`'s job.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path


class CourseError(Exception):
    """A problem with the instructor's request (unknown assignment or student, bad setup).

    The command line prints the message and exits with status 2; nothing is changed.
    """


def ensure_tools_on_path() -> None:
    """nbgrader runs the ``alembic`` command when it creates or upgrades a gradebook.

    Put this interpreter's ``bin`` directory first on PATH when it is missing (a venv
    used without activation), so that command is found.
    """
    bindir = os.path.dirname(os.path.abspath(sys.executable))
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if bindir not in parts:
        os.environ["PATH"] = os.pathsep.join([bindir, *[p for p in parts if p]])


def _quiet_nbgrader_logging(level: int) -> None:
    import logging

    for name in ("traitlets", "NbGraderAPI", "nbgrader"):
        logging.getLogger(name).setLevel(level)


def sqlite_path(db_url: str) -> Path | None:
    """The database file of a ``sqlite:///…`` URL; None for a server database."""
    prefix = "sqlite:///"
    return Path(db_url[len(prefix):]) if db_url.startswith(prefix) else None


@dataclass
class Course:
    """A course root (the folder holding ``nbgrader_config.py``) and nbgrader's view of it."""

    root: Path

    def __post_init__(self) -> None:
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config import Config
        from traitlets.config.loader import PyFileConfigLoader

        ensure_tools_on_path()
        self.root = Path(self.root).resolve()
        if not self.root.is_dir():
            raise CourseError(f"course root {self.root} is not a directory")
        config_file = self.root / "nbgrader_config.py"
        if config_file.is_file():
            self.config = PyFileConfigLoader(config_file.name, path=str(self.root)).load_config()
        else:
            self.config = Config()
        # The course root is the folder we were given, whatever the file computed.
        self.config.CourseDirectory.root = str(self.root)
        self.coursedir = CourseDirectory(config=self.config)
        self._api = None

    # ------------------------------------------------------------------ layout

    @property
    def course_id(self) -> str:
        return self.coursedir.course_id

    @property
    def db_url(self) -> str:
        return self.coursedir.db_url

    @property
    def group_shared(self) -> bool:
        """nbgrader's ``CourseDirectory.groupshared``: instructors share files through their group."""
        return bool(self.coursedir.groupshared)

    def private_paths(self) -> tuple[Path, ...]:
        """What student code must never see besides the course root itself: a SQLite
        gradebook kept elsewhere and the exchange (it holds every student's submission)."""
        paths: list[Path] = []
        if (db_file := sqlite_path(self.db_url)) is not None:
            paths.append(db_file.resolve().parent)
        exchange = self.config.get("Exchange", {}).get("root")
        if exchange:
            paths.append(Path(exchange).resolve())
        return tuple(p for p in paths if p.exists() and not p.is_relative_to(self.root))

    def instructor_paths(self) -> tuple[Path, ...]:
        """What only instructors may read, in this course: ``source/`` (solutions, hidden
        tests), every student's ``submitted/``, ``autograded/``, ``feedback/`` and ``outcomes/``,
        every attempt graded on arrival (``attempts/``), the gradebook file and the exchange
        (those that exist)."""
        cd = self.coursedir
        paths = [self.root / name for name in (cd.source_directory, cd.submitted_directory,
                                               cd.autograded_directory, cd.feedback_directory, "outcomes", "attempts")]
        if (db_file := sqlite_path(self.db_url)) is not None:
            paths.append(db_file)
        if (exchange := self.exchange_root()) is not None:
            paths.append(Path(exchange))
        return tuple(p.resolve() for p in paths if p.exists())

    def path(self, step: str, student: str, assignment: str) -> Path:
        """``<root>/<step>/<student>/<assignment>`` with the configured folder names."""
        names = {
            "source": self.coursedir.source_directory,
            "release": self.coursedir.release_directory,
            "submitted": self.coursedir.submitted_directory,
            "autograded": self.coursedir.autograded_directory,
            "feedback": self.coursedir.feedback_directory,
        }
        return Path(self.coursedir.format_path(names.get(step, step), student, assignment))

    def source_assignments(self) -> list[str]:
        source = self.root / self.coursedir.source_directory
        if not source.is_dir():
            return []
        return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

    def notebook_names(self, assignment: str) -> list[str]:
        """Notebook ids of ``assignment`` (from ``source/``; else from the gradebook)."""
        names = sorted(p.stem for p in self.path("source", ".", assignment).glob("*.ipynb"))
        if names:
            return names
        with self.gradebook() as gb:
            try:
                return sorted(nb.name for nb in gb.find_assignment(assignment).notebooks)
            except Exception:
                return []

    def known_assignments(self) -> list[str]:
        """Assignments in ``source/`` or already in the gradebook."""
        known = set(self.source_assignments())
        if self.gradebook_exists():
            with self.gradebook() as gb:
                known.update(a.name for a in gb.assignments)
        return sorted(known)

    def require_assignment(self, assignment: str) -> None:
        if assignment not in self.known_assignments():
            known = ", ".join(self.known_assignments()) or "none yet"
            raise CourseError(f"unknown assignment {assignment!r} (known: {known})")

    def submitted_students(self, assignment: str) -> list[str]:
        """Students with a folder ``submitted/<student>/<assignment>/``."""
        submitted = self.root / self.coursedir.submitted_directory
        if not submitted.is_dir():
            return []
        return sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir())

    def timestamp(self, student: str, assignment: str):
        """The submission time from ``timestamp.txt`` (a datetime) or None."""
        return self.coursedir.get_existing_timestamp(str(self.path("submitted", student, assignment)))

    # ------------------------------------------------------------------ nbgrader objects

    def gradebook_exists(self) -> bool:
        db_file = sqlite_path(self.db_url)
        if db_file is not None:
            return db_file.is_file()
        return True  # a server database: the Gradebook connects or raises

    def gradebook(self):
        """A new nbgrader ``Gradebook`` (a context manager; creates the database if needed)."""
        from nbgrader.api import Gradebook

        return Gradebook(self.db_url, self.course_id)

    def api(self):
        """nbgrader's ``NbGraderAPI`` for this course (created once)."""
        if self._api is None:
            import logging

            from nbgrader.apps.api import NbGraderAPI

            _quiet_nbgrader_logging(logging.WARNING)
            # Without an exchange, NbGraderAPI's start-up probe of the default exchange root
            # logs a CRITICAL "Unwritable directory": expected here, so not shown.
            probe = logging.getLogger("traitlets")
            level = probe.level
            if self.exchange_root() is None:
                probe.setLevel(logging.CRITICAL + 1)
            try:
                self._api = NbGraderAPI(coursedir=self.coursedir, config=self.config)
            finally:
                probe.setLevel(level)
            self._api.log.setLevel(logging.WARNING)
        return self._api

    def exchange_root(self) -> str | None:
        """The configured exchange root (``Exchange.root``), or None when none is configured."""
        if "Exchange" in self.config and "root" in self.config.Exchange:
            return str(self.config.Exchange.root)
        return None


def check_result(result: dict | None, what: str) -> str:
    """Raise CourseError with nbgrader's own log when an ``NbGraderAPI`` call failed."""
    if result is None:
        raise CourseError(f"{what}: not supported on this platform")
    if not result.get("success"):
        log = (result.get("log") or "").strip()
        error = (result.get("error") or "").strip().splitlines()
        last = error[-1] if error else ""
        raise CourseError(f"{what} failed: {last}\n{log}".rstrip())
    return result.get("log", "")
