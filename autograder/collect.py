"""``python -m autograder collect ASSIGNMENT``: submissions from the exchange into ``submitted/``.

nbgrader's own ``collect`` (``NbGraderAPI.collect(update=True)``): the newest submission of
each student (before the due date when configured) is copied with its ``timestamp.txt``
and ``submission_secret.txt`` — the secret is what ``release_feedback`` later keys the
student's feedback with, so ``feedback`` copies it next to the HTML.
"""
from __future__ import annotations

import os

from autograder.course import Course, CourseError, check_result


def run(course: Course, assignment: str, *, log=print) -> list[str]:
    """Collect ``assignment``; returns the students now in ``submitted/``."""
    root = course.exchange_root()
    if not root:
        raise CourseError("no exchange configured: set LRLAB_EXCHANGE (nbgrader's Exchange.root) to collect")
    if assignment not in course.known_assignments():
        raise CourseError(f"unknown assignment {assignment!r} (known: {', '.join(course.known_assignments()) or 'none'})")
    inbound = os.path.join(root, course.course_id, "inbound")
    if not os.path.isdir(inbound):
        raise CourseError(f"nothing to collect: {inbound} does not exist (was {assignment} released?)")
    before = {s: course.timestamp(s, assignment) for s in course.submitted_students(assignment)}
    check_result(course.api().collect(assignment, update=True), f"collect {assignment}")
    after = course.submitted_students(assignment)
    changed = [s for s in after if s not in before or course.timestamp(s, assignment) != before[s]]
    log(f"Collected {assignment}: {len(changed)} new or updated, {len(after)} submission(s) in "
        f"{course.coursedir.submitted_directory}/.")
    return after
