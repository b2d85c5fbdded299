"""``python -m autograder collect ASSIGNMENT``: submissions from the exchange into ``submitted/``.

nbgrader's own ``collect`` (``NbGraderAPI.collect(update=True)``): the newest submission of
each student (before the due date when configured) is copied with its ``timestamp.txt``
and ``submission_secret.txt`` — the secret is what ``release_feedback`` later keys the
student's feedback with, so ``feedback`` copies it next to the HTML.

An assignment graded on arrival (:mod:`autograder.arrival`) is collected by the grading
service as it goes: a student with a graded attempt has the attempt that counts in
``submitted/`` already, and a later (refused) submission must not replace it. Only the
other students' submissions (those who submitted only after grading on arrival closed, or
before the service ran) are collected here, one student at a time.
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
    kept = graded_on_arrival(course, assignment)
    if kept is None:
        check_result(course.api().collect(assignment, update=True), f"collect {assignment}")
    else:
        from nbgrader.utils import temp_attrs

        api = course.api()
        others = sorted({n.split("+")[0] for n in os.listdir(inbound) if n.split("+")[1:2] == [assignment]} - kept)
        for student in others:
            with temp_attrs(api.coursedir, student_id=student):
                check_result(api.collect(assignment, update=True), f"collect {assignment} of {student}")
        log(f"{assignment} is graded on arrival: {len(kept)} student(s) have their counting attempt in "
            f"{course.coursedir.submitted_directory}/ already (kept).")
    after = course.submitted_students(assignment)
    changed = [s for s in after if s not in before or course.timestamp(s, assignment) != before[s]]
    log(f"Collected {assignment}: {len(changed)} new or updated, {len(after)} submission(s) in "
        f"{course.coursedir.submitted_directory}/.")
    return after


def graded_on_arrival(course: Course, assignment: str) -> set[str] | None:
    """The students with a graded attempt of ``assignment`` when it is graded on arrival, else None."""
    from autograder.arrival.attempts import AttemptStore
    from autograder.rules import course_rules

    if assignment not in course_rules(course.config).arrival_assignments():
        return None
    return {r.student for r in AttemptStore(course.root).records(assignment) if r.graded}
