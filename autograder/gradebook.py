"""Every write to nbgrader's gradebook.

nbgrader stays the system of record: this module writes scores with its ``Gradebook`` API
(any SQLAlchemy URL; SQLite ``gradebook.db`` by default) for a course of
:mod:`autograder.course`. Only the coordinating process of ``python -m autograder grade``
calls :func:`write_outcome`.

How an :class:`~autograder.outcome.Outcome` lands in the gradebook:

* the student and the ``SubmittedAssignment`` (with the ``timestamp.txt`` time) are created
  when missing; ``add_submission`` mirrors every notebook, grade and comment row;
* every *autograded test cell* (a grade cell that is not also a solution or task cell) gets
  ``auto_score`` from the outcome's check with the same grade id (0 when the submission
  failed or the check is absent), so the gradebook always equals the newest outcome: the
  stale scores plain nbgrader leaves behind after a failed or changed run are overwritten;
* when the submission itself changed since the last outcome, manual overrides of those
  autograded cells are cleared (they judged another notebook); otherwise they are kept
  and the cell is marked for review, exactly like nbgrader's ``SaveAutoGrades``;
* manually graded cells stay for formgrader, except when the submission has no usable
  notebook at all (not a notebook, invalid, another assignment), where they get 0;
* a failed or flagged outcome sets the submitted notebook's ``flagged`` bit, which
  formgrader shows; the reason itself lives in the outcome record, the CSV and the report.
"""
from __future__ import annotations

import tempfile
import warnings

from autograder.course import Course, CourseError, check_result
from autograder.outcome import Outcome
from autograder.reasons import UNUSABLE


def ensure_assignment(course: Course, assignment: str) -> bool:
    """Make sure the gradebook knows ``assignment`` with its notebooks and grade cells.

    Uses nbgrader's own ``generate_assignment`` (which records the cells from ``source/``)
    into a throw-away release folder, so ``release/`` is not touched. Returns True when it
    had to populate the gradebook (e.g. a new or deleted ``gradebook.db``).
    """
    from nbgrader.api import MissingEntry
    from nbgrader.utils import temp_attrs

    if course.gradebook_exists():
        with course.gradebook() as gb:
            try:
                if gb.find_assignment(assignment).notebooks:
                    return False
            except MissingEntry:
                pass
    if assignment not in course.source_assignments():
        raise CourseError(f"assignment {assignment!r} is neither in the gradebook nor in source/")
    with tempfile.TemporaryDirectory(prefix="lrlab-release-") as tmp:
        api = course.api()
        with temp_attrs(course.coursedir, release_directory=tmp):
            check_result(api.generate_assignment(assignment, force=True, create=True),
                         f"recording {assignment} in the gradebook")
    return True


def _autograded_cell_names(notebook) -> set[str]:
    """Grade cells scored by the autograder: not also a solution (manual) or task cell."""
    manual = {c.name for c in notebook.solution_cells} | {c.name for c in notebook.task_cells}
    return {c.name for c in notebook.grade_cells if c.name not in manual}


def write_outcome(gb, course: Course, outcome: Outcome, *, submission_changed: bool = False) -> None:
    """Make the gradebook state of this submission equal ``outcome`` (see module doc)."""
    from nbgrader.api import MissingEntry

    assignment, student = outcome.assignment, outcome.student
    gb.update_or_create_student(student)
    timestamp = course.timestamp(student, assignment)
    try:
        submission = gb.find_submission(assignment, student)
        if timestamp is not None:
            submission.timestamp = timestamp
    except MissingEntry:
        kwargs = {"timestamp": timestamp} if timestamp is not None else {}
        with warnings.catch_warnings():  # nbgrader's add_submission autoflushes half-built rows
            warnings.simplefilter("ignore")
            submission = gb.add_submission(assignment, student, **kwargs)

    scores = {c.grade_id: c for c in outcome.checks} if outcome.status == "graded" else {}
    unusable = outcome.status == "failed" and outcome.reason in UNUSABLE
    flagged = outcome.status == "failed" or bool(outcome.flags)
    for nb in submission.notebooks:
        autograded = _autograded_cell_names(nb.notebook)
        for grade in nb.grades:
            name = grade.cell.name
            if name in autograded:
                check = scores.get(name)
                grade.auto_score = float(min(max(check.score, 0.0), grade.max_score)) if check else 0.0
                if submission_changed:
                    grade.manual_score = None
                    grade.extra_credit = None
                grade.needs_manual_grade = grade.manual_score is not None
            elif unusable and grade.cell.__class__.__name__ == "GradeCell":
                grade.auto_score = 0.0
                grade.needs_manual_grade = False
        nb.flagged = flagged
    gb.db.commit()


def submission_scores(gb, assignment: str) -> dict[str, tuple[float, float]]:
    """{student: (score, max_score)} of every submission of ``assignment`` in the gradebook."""
    out: dict[str, tuple[float, float]] = {}
    for sub in gb.assignment_submissions(assignment):
        out[sub.student.id] = (float(sub.score), float(sub.max_score))
    return out
