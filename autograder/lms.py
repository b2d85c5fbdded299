"""``python -m autograder export --format canvas|moodle``: grade files the LMS imports.

Both start from :func:`autograder.export.grade_rows` (nbgrader's gradebook, manual grades
included, and the outcome records) and map each nbgrader student id through the roster
(:mod:`autograder.roster`). A cell gets a score only when the submission was graded and
nothing is left to grade by hand; otherwise it stays empty — the LMS's "no grade", never a
0 that reads as earned — and the reason goes to ``exports/<format>_attention.csv``
(failed with its reason, manual grading pending, submitted but not graded, no submission).

**Canvas** (Grades → Import, ``exports/canvas_grades.csv``), laid out as Canvas's own
gradebook export and read by its importer: the header row
``Student, ID, SIS User ID, SIS Login ID, Section`` then one column per assignment (a
column whose title matches no Canvas assignment creates one); a second row starting
``Points Possible`` gives each assignment's maximum. Canvas matches a row on ``ID`` (its
user id), then ``SIS User ID``, then ``SIS Login ID``; an empty score cell is "no score".

**Moodle** (Grades → Import → CSV file, ``exports/moodle_grades.csv``), laid out as
Moodle's own grade export: ``First name, Last name, ID number, Email address``, then per
assignment ``<assignment> (Real)`` and ``<assignment> (Feedback)``. On import, map
``Email address`` → ``useremail`` (or ``ID number`` → ``useridnumber``) and each column
to its grade item and to its feedback. ``-`` is Moodle's "no grade"; the feedback column
says why (student-safe text), and it is always there because importing feedback without
grades would clear them.

A late submission's score is exported after its late penalty (as nbgrader's export gives it);
why goes in the Moodle feedback column and, for Canvas (whose import file has no room for
text), in ``exports/canvas_attention.csv`` beside the score it explains.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

from autograder import export, roster, store
from autograder.course import Course, CourseError
from autograder.reasons import Reason, not_graded

FORMATS = ("csv", "canvas", "moodle")
CANVAS_STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "Points Possible"
# Titles Canvas's importer treats as its own columns, never as an assignment.
CANVAS_RESERVED = re.compile(
    r"^(Student|LastName|FirstName|ID|SIS User ID|SIS Login ID|Section|Integration ID|Root Account)$"
    r"|Current Score|Current Points|Current Grade|Final Score|Final Points|Final Grade"
    r"|Override Score|Override Grade|Override Status"
)
MOODLE_STUDENT_COLUMNS = ["First name", "Last name", "ID number", "Email address"]
MOODLE_NO_GRADE = "-"
ATTENTION_COLUMNS = ["student", "assignment", "status", "reason", "note"]


def verdict(row: dict) -> tuple[str | None, str]:
    """(score to export or None, why not) for one row of :func:`export.grade_rows`."""
    status, reason = row["status"], row["reason"]
    if status == "graded":
        if row["needs_manual_grade"] == "true":
            return None, "Written answers are not graded yet."
        return row["score"], ""
    if status == "failed":
        known = reason in Reason.__members__.values()
        return None, "Not graded: " + (not_graded(Reason(reason)) if known else "the submission could not be graded.")
    if status == "not graded":
        return None, "Submitted; not graded yet."
    return None, "No submission."


def class_rows(course: Course, students: dict[str, roster.Student]) -> tuple[list[str], dict[str, str], dict]:
    """(assignments in gradebook order, {assignment: max score}, {(student, assignment): row}),
    every roster student included; CourseError when the gradebook has a student the roster lacks."""
    with course.gradebook() as gb:
        ordered = export.ordered_assignments(gb)
        assignments = [a.name for a in ordered]
        max_score = {a.name: export.format_number(a.max_score) for a in ordered}
    by_key = {(r["student"], r["assignment"]): r for r in export.grade_rows(course)}
    unknown = sorted({student for student, _ in by_key} - set(students))
    if unknown:
        raise CourseError(f"the roster has no row for {len(unknown)} student(s) in the gradebook: "
                          f"{', '.join(unknown[:20])}{' …' if len(unknown) > 20 else ''}")
    for student in students:
        for assignment in assignments:
            by_key.setdefault((student, assignment), {
                "student": student, "assignment": assignment, "status": "missing", "reason": "",
                "score": "", "needs_manual_grade": ""})
    return assignments, max_score, by_key


def canvas_table(assignments: list[str], max_score: dict[str, str], by_key: dict,
                 students: dict[str, roster.Student]) -> list[list[str]]:
    clash = [a for a in assignments if CANVAS_RESERVED.search(a)]
    if clash:
        raise CourseError(f"Canvas reads these assignment names as its own columns: {', '.join(clash)}")
    table = [CANVAS_STUDENT_COLUMNS + assignments,
             [CANVAS_POINTS_ROW] + [""] * (len(CANVAS_STUDENT_COLUMNS) - 1) + [max_score[a] for a in assignments]]
    for s in sorted(students.values(), key=lambda s: (s.sortable_name.lower(), s.id)):
        scores = [verdict(by_key[(s.id, a)])[0] or "" for a in assignments]
        table.append([s.sortable_name, s.lms_user_id, s.sis_user_id, s.sis_login_id, s.section, *scores])
    return table


def moodle_table(assignments: list[str], max_score: dict[str, str], by_key: dict,
                 students: dict[str, roster.Student]) -> list[list[str]]:
    header = list(MOODLE_STUDENT_COLUMNS)
    for a in assignments:
        header += [f"{a} (Real)", f"{a} (Feedback)"]
    table = [header]
    for s in sorted(students.values(), key=lambda s: (s.last_name.lower(), s.first_name.lower(), s.id)):
        line = [s.first_name, s.last_name, s.id_number, s.email]
        for a in assignments:
            score, why = verdict(by_key[(s.id, a)])
            note = why or f"Graded by the course's autograder: {score} / {max_score[a]}."
            if by_key[(s.id, a)].get("late"):
                note += " " + by_key[(s.id, a)]["late"]
            line += [MOODLE_NO_GRADE if score is None else score, note]
        table.append(line)
    return table


TABLES: dict[str, Callable[..., list[list[str]]]] = {"canvas": canvas_table, "moodle": moodle_table}


def table_text(table: list[list[str]]) -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, quoting=csv.QUOTE_MINIMAL).writerows(table)
    return buffer.getvalue()


def run(course: Course, fmt: str, *, roster_file: Path | None = None, output: Path | None = None,
        log=print) -> tuple[Path, Path]:
    """Write ``<format>_grades.csv`` and ``<format>_attention.csv``; returns their paths."""
    if fmt not in TABLES:
        raise CourseError(f"unknown LMS format {fmt!r} (have: {', '.join(TABLES)})")
    if not course.gradebook_exists():
        raise CourseError(f"no gradebook at {course.db_url}: run `python -m autograder release` or `grade` first")
    students = roster.read(Path(roster_file) if roster_file else course.root / roster.DEFAULT_NAME)
    roster.require_identifiers(students, fmt)
    assignments, max_score, by_key = class_rows(course, students)
    table = TABLES[fmt](assignments, max_score, by_key, students)
    attention = [{**row, "note": why} for key, row in sorted(by_key.items())
                 if key[0] in students and (why := verdict(row)[1] or row.get("late", ""))]
    out = Path(output) if output else course.root / "exports"
    grades = store.atomic_write_text(out / f"{fmt}_grades.csv", table_text(table), group_shared=course.group_shared)
    notes = export.write_csv(out / f"{fmt}_attention.csv", ATTENTION_COLUMNS, attention,
                             group_shared=course.group_shared)
    log(f"{fmt} grades: {grades} ({len(students)} student(s), {len(assignments)} assignment(s))")
    if attention:
        log(f"  {len(attention)} grade(s) left empty (no grade, not 0); why: {notes}")
    return grades, notes
