"""``python -m autograder export``: grades of every assignment as CSV, plus per-check scores.

``exports/grades.csv`` has one row per student and assignment, scores read from nbgrader's
gradebook (the system of record, so manual grades from formgrader are included) and the
status from the outcome record: ``graded``, ``failed`` (with its ``reason``), ``not graded``
(submitted, no outcome yet) or ``missing`` (no submission). ``score`` is after the late
penalty, as nbgrader's own export computes it (``raw_score`` minus ``late_penalty``, never
below 0); ``late`` says why in the student's words (:func:`autograder.lateness.explain`);
``attempts`` counts the graded attempts of a student graded on arrival (the gradebook holds
the counting one). ``exports/check_scores.csv``
has one row per autograded check from the outcome records. Both are written with the
``csv`` module (every field that needs it is quoted: commas, quotes, newlines in ids or
messages survive a round trip).
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from autograder import store
from autograder.course import Course, CourseError

GRADE_COLUMNS = ["student", "assignment", "status", "reason", "score", "max_score", "raw_score", "late_penalty",
                 "late", "attempts", "needs_manual_grade", "flags", "submitted_at", "graded_at"]
CHECK_COLUMNS = ["student", "assignment", "grade_id", "title", "score", "points", "status", "reason",
                 "kernel_passed", "message"]


def format_number(value: float | None) -> str:
    return "" if value is None else f"{float(value):g}"


def ordered_assignments(gb) -> list:
    """The gradebook's assignments by due date (undated last), then name."""
    return sorted(gb.assignments, key=lambda a: (a.duedate is None, a.duedate or 0, a.name))


def grade_rows(course: Course) -> list[dict]:
    from autograder.arrival.attempts import AttemptStore
    from autograder.lateness import explain

    rows: list[dict] = []
    attempts = AttemptStore(course.root)
    with course.gradebook() as gb:
        assignments = ordered_assignments(gb)
        students = sorted(s.id for s in gb.students)
        for assignment in assignments:
            outcomes = store.read_all(course.root, assignment.name)
            tries = Counter(r.student for r in attempts.records(assignment.name) if r.graded)
            submissions = {s.student.id: s for s in gb.assignment_submissions(assignment.name)}
            for student in students:
                sub = submissions.get(student)
                outcome = outcomes.get(student)
                if sub is None:
                    status, reason = "missing", ""
                elif outcome is None:
                    status, reason = "not graded", ""
                else:
                    status, reason = outcome.status, outcome.reason or ""
                penalty = float(sub.late_submission_penalty or 0.0) if sub is not None else 0.0
                rows.append({
                    "student": student,
                    "assignment": assignment.name,
                    "status": status,
                    "reason": reason,
                    "score": format_number(max(0.0, sub.score - penalty)) if sub is not None else "0",
                    "max_score": format_number(assignment.max_score),
                    "raw_score": format_number(sub.score) if sub is not None else "0",
                    "late_penalty": format_number(penalty),
                    "late": explain(outcome.late) if outcome is not None else "",
                    "attempts": str(tries[student]) if tries[student] else "",
                    "needs_manual_grade": "" if sub is None else str(bool(sub.needs_manual_grade)).lower(),
                    "flags": "; ".join(outcome.flags) if outcome else "",
                    "submitted_at": sub.timestamp.isoformat() if sub is not None and sub.timestamp else "",
                    "graded_at": outcome.graded_at if outcome else "",
                })
    return rows


def check_rows(course: Course) -> list[dict]:
    rows: list[dict] = []
    for assignment in store.assignments_with_outcomes(course.root):
        for student, outcome in sorted(store.read_all(course.root, assignment).items()):
            for c in outcome.checks:
                rows.append({
                    "student": student, "assignment": assignment, "grade_id": c.grade_id, "title": c.title,
                    "score": format_number(c.score if outcome.status == "graded" else 0.0), "points": format_number(c.points),
                    "status": outcome.status, "reason": outcome.reason or "",
                    "kernel_passed": "" if c.kernel_passed is None else str(c.kernel_passed).lower(),
                    "message": c.message,
                })
            if not outcome.checks:
                rows.append({"student": student, "assignment": assignment, "grade_id": "", "title": "",
                             "score": "", "points": "", "status": outcome.status, "reason": outcome.reason or "",
                             "kernel_passed": "", "message": outcome.detail})
    return rows


def write_csv(path: Path, columns: list[str], rows: list[dict], *, group_shared: bool = False) -> Path:
    """``rows`` (dicts; keys beyond ``columns`` ignored) as CSV with a header, written atomically."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, quoting=csv.QUOTE_MINIMAL, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return store.atomic_write_text(path, buffer.getvalue(), group_shared=group_shared)


def run(course: Course, *, output: Path | None = None, log=print) -> tuple[Path, Path]:
    if not course.gradebook_exists():
        raise CourseError(f"no gradebook at {course.db_url}: run `python -m autograder release` or `grade` first")
    out = Path(output) if output else course.root / "exports"
    shared = course.group_shared
    grades = write_csv(out / "grades.csv", GRADE_COLUMNS, grade_rows(course), group_shared=shared)
    checks = write_csv(out / "check_scores.csv", CHECK_COLUMNS, check_rows(course), group_shared=shared)
    log(f"Grades: {grades}\nPer-check scores: {checks}")
    return grades, checks
