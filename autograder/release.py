"""``python -m autograder release ASSIGNMENT|--all``: regenerate ``release/`` from ``source/``.

Uses nbgrader's own ``generate_assignment`` (``NbGraderAPI``), which also records the
assignment, its notebooks and grade cells in the gradebook (creating ``gradebook.db`` on
first use); the course's ``nbgrader_config.py`` puts the grading-rules header first in each
assignment graded on arrival (:mod:`autograder.header`), and a configured due date goes into
the gradebook (:mod:`autograder.lateness`). When an exchange is configured (``LRLAB_EXCHANGE`` -> ``Exchange.root``), the
student version is then released to it (``release_assignment``) so students can fetch it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from autograder.course import Course, CourseError, check_result
from autograder.lateness import sync_due_dates


@dataclass
class Released:
    assignment: str
    release_dir: str
    exchange: str | None  # where it was released, or None when no exchange is configured


def assignments_to_release(course: Course, assignment: str | None, all_: bool) -> list[str]:
    available = course.source_assignments()
    if all_:
        return available
    if assignment is None:
        raise CourseError("name an assignment or pass --all")
    if assignment not in available:
        raise CourseError(f"unknown assignment {assignment!r}: no source/{assignment}/ with a notebook "
                          f"(have: {', '.join(available) or 'none yet'})")
    return [assignment]


def run(course: Course, assignment: str | None = None, *, all_: bool = False, exchange: bool = True,
        log=print) -> list[Released]:
    names = assignments_to_release(course, assignment, all_)
    if not names:
        log(f"Nothing to release: {course.coursedir.source_directory}/ has no assignment yet.")
        return []
    api = course.api()
    root = course.exchange_root() if exchange else None
    done = []
    for name in names:
        check_result(api.generate_assignment(name, force=True, create=True), f"generate_assignment {name}")
        sync_due_dates(course, [name])
        release_dir = course.path("release", ".", name)
        log(f"Regenerated {os.path.relpath(release_dir, course.root)}/ from source/ (gradebook updated).")
        target = None
        if root:
            os.makedirs(root, exist_ok=True)
            # release_assignment refuses to overwrite an earlier release: replace it.
            if _released(root, course.course_id, name):
                check_result(api.unrelease(name), f"unrelease {name}")
            check_result(api.release_assignment(name), f"release_assignment {name}")
            target = os.path.join(root, course.course_id, "outbound", name)
            log(f"Released {name} to the exchange: {target}")
        done.append(Released(name, str(release_dir), target))
    if not root and exchange:
        log("No exchange configured (set LRLAB_EXCHANGE): release/ regenerated only.")
    return done


def _released(root: str, course_id: str, assignment: str) -> bool:
    return os.path.isdir(os.path.join(root, course_id, "outbound", assignment))
