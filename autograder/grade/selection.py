"""Which submissions a ``grade`` run grades: those selected, without a current record."""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from autograder import store
from autograder.course import Course, CourseError
from autograder.outcome import Outcome
from autograder.reasons import GRADER_SIDE


def select_students(course: Course, assignment: str, pattern: str | None) -> list[str]:
    """Students with a submission of ``assignment``, filtered by a glob (e.g. ``'a*'``)."""
    course.require_assignment(assignment)
    students = course.submitted_students(assignment)
    if pattern is None:
        return students
    chosen = [s for s in students if fnmatch.fnmatchcase(s, pattern)]
    if not chosen:
        where = course.coursedir.submitted_directory
        have = ", ".join(students[:20]) + (" …" if len(students) > 20 else "") if students else "none"
        raise CourseError(f"no submission of {assignment} in {where}/ matches {pattern!r} (students: {have})")
    return chosen


def is_current(outcome: Outcome | None, submission_hash: str) -> bool:
    """A record that need not be regraded: same submission bytes, and not the grader's own
    failure (``crash``, ``grader_error``: a rerun tries again)."""
    return (outcome is not None and outcome.submission_hash == submission_hash
            and not (outcome.status == "failed" and outcome.reason in GRADER_SIDE))


@dataclass(frozen=True)
class Selection:
    """The selected submissions of one run: their bytes' hashes now, their records so far,
    and those to grade (all with ``force``, else those without a current record)."""

    students: list[str]
    hashes: dict[str, str]
    previous: dict[str, Outcome | None]
    todo: list[str]

    @classmethod
    def of(cls, course: Course, assignment: str, pattern: str | None, force: bool) -> Selection:
        students = select_students(course, assignment, pattern)
        hashes = {s: store.submission_hash(course.path("submitted", s, assignment), assignment) for s in students}
        previous = {s: store.read(course.root, assignment, s) for s in students}
        todo = [s for s in students if force or not is_current(previous[s], hashes[s])]
        return cls(students, hashes, previous, todo)

    @property
    def current(self) -> int:
        """How many already had a current record (skipped)."""
        return len(self.students) - len(self.todo)
