"""The class roster: how an nbgrader student id maps onto the LMS's own identifiers.

``roster.csv`` (UTF-8, comma-separated, one header row, one row per student; the default
path is ``<course root>/roster.csv``, ``--roster FILE`` names another). Its first five
columns are nbgrader's own student columns, so the same file also feeds
``nbgrader db student import roster.csv``:

================  ==========================================================================
column            meaning
================  ==========================================================================
``id``            required: the nbgrader student id (the hub user name, ``submitted/<id>/``)
``first_name``    given name
``last_name``     family name
``email``         e-mail address (Moodle can match students on it)
``lms_user_id``   the LMS's numeric user id (Canvas: the ``ID`` column of its gradebook export)
``sis_user_id``   Canvas: ``SIS User ID``
``sis_login_id``  Canvas: ``SIS Login ID``
``section``       Canvas: ``Section``
``id_number``     Moodle: the user's ``ID number``
================  ==========================================================================

Only ``id`` is required and each id appears once; an unknown column is refused (a typo
would silently drop an identifier). Each LMS needs at least one identifier per student
(:data:`REQUIRED_ANY`); a student the gradebook knows but the roster does not is an error,
never a dropped grade.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, fields
from pathlib import Path

from autograder.course import CourseError

DEFAULT_NAME = "roster.csv"


@dataclass(frozen=True)
class Student:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    id_number: str = ""

    @property
    def sortable_name(self) -> str:
        """``Last, First`` (how Canvas lists students), or the id when the roster has no name."""
        names = [n for n in (self.last_name, self.first_name) if n]
        return ", ".join(names) or self.id


COLUMNS = tuple(f.name for f in fields(Student))
#: Per LMS, the roster columns of which each student needs at least one (what the LMS matches on).
REQUIRED_ANY = {
    "canvas": ("lms_user_id", "sis_user_id", "sis_login_id"),
    "moodle": ("email", "id_number"),
}


def read(path: Path) -> dict[str, Student]:
    """{nbgrader id: Student} from a roster file; CourseError on any problem, naming it."""
    path = Path(path)
    if not path.is_file():
        raise CourseError(f"no roster at {path}: write one (columns: {', '.join(COLUMNS)}) or pass --roster FILE")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in (reader.fieldnames or [])]
        unknown = [h for h in header if h not in COLUMNS]
        if "id" not in header or unknown:
            raise CourseError(f"roster {path}: header must hold 'id' and only known columns "
                              f"({', '.join(COLUMNS)}); unknown: {', '.join(unknown) or 'none'}")
        reader.fieldnames = header
        students: dict[str, Student] = {}
        for line, row in enumerate(reader, start=2):
            if None in row:
                raise CourseError(f"roster {path}, line {line}: more fields than columns")
            values = {k: (v or "").strip() for k, v in row.items()}
            if not values.get("id"):
                raise CourseError(f"roster {path}, line {line}: empty id")
            if values["id"] in students:
                raise CourseError(f"roster {path}, line {line}: id {values['id']!r} appears twice")
            students[values["id"]] = Student(**values)
    return students


def require_identifiers(students: dict[str, Student], lms: str) -> None:
    """CourseError listing the students without any identifier ``lms`` can match on."""
    needed = REQUIRED_ANY[lms]
    lacking = sorted(s.id for s in students.values() if not any(getattr(s, c) for c in needed))
    if lacking:
        raise CourseError(f"the roster gives no {' / '.join(needed)} for: {', '.join(lacking[:20])}"
                          f"{' …' if len(lacking) > 20 else ''} ({lms} matches students on one of them)")
