"""``python -m autograder export --format canvas|moodle``: the LMS's own import files.

On the toy course of tests/test_pipeline.py (real nbgrader gradebook, the test-double task).
The Canvas file is read with the rules of Canvas's gradebook importer
(canvas-lms ``app/models/gradebook_importer.rb``: header row ``Student, ID, SIS User ID,
SIS Login ID, Section`` then assignment columns, a ``Points Possible`` row, an empty cell or
``-`` is no score); the Moodle file with those of Moodle's CSV grade import
(``grade/import/csv``: a user column mapped to ``useremail``/``useridnumber``, one column per
grade item, ``''`` or ``-`` is no grade, anything else must be a number, feedback columns
beside their grades) and Moodle's export headers (``First name``, ``Last name``,
``ID number``, ``Email address``, ``<item> (Real)``, ``<item> (Feedback)``).
"""
from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

from autograder import cli, lms, roster
from autograder.course import Course, CourseError
from tests.test_pipeline import A, run_grade, small_class, template  # noqa: F401  (template: a fixture)

ROSTER = """id,first_name,last_name,email,lms_user_id,sis_user_id,sis_login_id,section,id_number
alice,Alice,Smith,alice@uni.test,101,S-1,asmith,Sec 1,N001
bob,Bob,"O'Brien, Jr",bob@uni.test,102,S-2,bob,Sec 1,N002
carol,Carol,Jones,carol@uni.test,103,S-3,cjones,Sec 2,N003
dave,Dave,Wu,dave@uni.test,104,S-4,dwu,Sec 2,N004
erin,Erin,Li,erin@uni.test,105,S-5,eli,Sec 2,N005
frank,Frank,Ng,frank@uni.test,106,S-6,fng,Sec 2,N006
zoe,Zoe,Park,zoe@uni.test,107,S-7,zpark,Sec 2,N007
"""
# What Canvas's importer treats as its own columns, never as assignments (NON_ASSIGNMENT_COLUMN_HEADERS).
CANVAS_NON_ASSIGNMENT = re.compile("Current Score|Current Points|Current Grade|Final Score|Final Points|"
                                   "Final Grade|Override Score|Override Grade|Override Status")


def canvas_reads(table: list[list[str]]) -> dict:
    """Canvas's importer rules, applied to a CSV table; AssertionError where it would refuse
    the file or misread it. Returns {(student row id, assignment): score or None}."""
    header = table[0]
    assert len(header) > 3 and "Student" in header[0] and "ID" in header[1], "Canvas: invalid header row"
    columns = 3
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        columns += 1
    elif re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        columns += 2
    assert "Section" in header[columns - 1], "Canvas: the last student column must be Section"
    assignments = [h for h in header[columns:] if not CANVAS_NON_ASSIGNMENT.search(h)]
    assert table[1][0].startswith("Points Possible"), "no Points Possible row"
    scores = {}
    for row in table[2:]:
        assert len(row) == len(header)
        student = row[1] or row[2] or row[3]  # Canvas matches on ID, then SIS User ID, then SIS Login ID
        assert student, f"Canvas cannot match {row[0]!r}"
        for name, value in zip(header[columns:], row[columns:]):
            if name in assignments:
                value = value.strip()
                scores[(student, name)] = None if value in ("", "-") else float(value)
    return scores


def moodle_reads(table: list[list[str]], user_column: str = "Email address") -> dict:
    """Moodle's CSV import as the instructor maps it: ``user_column`` -> useremail, each
    ``X (Real)`` to a grade item and ``X (Feedback)`` to its feedback. {(user, item): (grade, feedback)}."""
    header = table[0]
    assert header[:4] == ["First name", "Last name", "ID number", "Email address"]
    user = header.index(user_column)
    items = [h[: -len(" (Real)")] for h in header if h.endswith(" (Real)")]
    assert all(f"{i} (Feedback)" in header for i in items), "a feedback column without its grade clears grades"
    read = {}
    for row in table[1:]:
        assert row[user], "Moodle skips a row without the mapped user field"
        for item in items:
            value = row[header.index(f"{item} (Real)")]
            grade = None if value in ("", "-") else float(value)  # Moodle's unformat_float, or "badgrade"
            read[(row[user], item)] = (grade, row[header.index(f"{item} (Feedback)")])
    return read


def _table(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


@pytest.fixture(scope="module")
def graded(template, tmp_path_factory) -> Course:
    """The toy class graded once; alice's and bob's written answers graded by hand
    (as in the formgrader); the roster above in roster.csv. Tests write only below exports/."""
    root = tmp_path_factory.mktemp("lms") / "course"
    shutil.copytree(template, root)
    course = Course(root)
    small_class(course)
    run_grade(course)
    with course.gradebook() as gb:
        for student, score in (("alice", 1.0), ("bob", 0.5)):
            grade = gb.find_grade("explain", A, A, student)
            grade.manual_score, grade.needs_manual_grade = score, False
        gb.db.commit()
    (root / "roster.csv").write_text(ROSTER)
    return course


@pytest.mark.slow
def test_canvas_file_is_what_canvas_imports(graded):
    course = graded
    assert cli.main(["--course", str(course.root), "export", "--format", "canvas"]) == 0
    table = _table(course.root / "exports" / "canvas_grades.csv")
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", A]
    assert table[1] == ["Points Possible", "", "", "", "", "3"]
    scores = canvas_reads(table)
    # graded and complete: the gradebook total; everything else empty (no score), never 0
    assert scores == {("101", A): 3.0, ("102", A): 1.5, ("103", A): None, ("104", A): None,
                      ("105", A): None, ("106", A): None, ("107", A): None}
    assert ["O'Brien, Jr, Bob", "102", "S-2", "bob", "Sec 1", "1.5"] in table
    attention = {r["student"]: r for r in csv.DictReader(open(course.root / "exports" / "canvas_attention.csv"))}
    assert sorted(attention) == ["carol", "dave", "erin", "frank", "zoe"]
    assert attention["carol"]["note"] == "Written answers are not graded yet."
    assert attention["dave"]["status"] == "failed" and attention["dave"]["reason"] == "not_a_notebook"
    assert attention["frank"]["note"].startswith("Not graded:") and attention["zoe"]["status"] == "missing"


@pytest.mark.slow
def test_moodle_file_is_what_moodle_imports(graded):
    course = graded
    assert cli.main(["--course", str(course.root), "export", "--format", "moodle"]) == 0
    table = _table(course.root / "exports" / "moodle_grades.csv")
    assert table[0] == ["First name", "Last name", "ID number", "Email address", f"{A} (Real)", f"{A} (Feedback)"]
    by_email = moodle_reads(table)
    assert by_email[("alice@uni.test", A)] == (3.0, "Graded by the course's autograder: 3 / 3.")
    assert by_email[("bob@uni.test", A)][0] == 1.5
    assert by_email[("dave@uni.test", A)] == (None, "Not graded: The submission is not a Jupyter notebook "
                                                    "(or not valid JSON).")
    assert by_email[("carol@uni.test", A)] == (None, "Written answers are not graded yet.")
    assert by_email[("zoe@uni.test", A)] == (None, "No submission.")
    assert {k for k, (grade, _) in by_email.items() if grade is None} == {
        (f"{s}@uni.test", A) for s in ("carol", "dave", "erin", "frank", "zoe")}
    assert moodle_reads(table, "ID number")[("N001", A)][0] == 3.0  # or mapped on ID number
    assert [r[1] for r in table[1:]] == ["Jones", "Li", "Ng", "O'Brien, Jr", "Park", "Smith", "Wu"]


def test_the_canvas_reader_in_these_tests_refuses_what_canvas_refuses():
    good = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "toy"], ["Points Possible", "", "", "", "", "3"],
            ["Smith, Alice", "101", "S-1", "asmith", "Sec 1", "3"]]
    assert canvas_reads(good) == {("101", "toy"): 3.0}
    for broken in ([["Name", *good[0][1:]], *good[1:]],  # no Student column
                   [["Student", "ID", "SIS User ID", "SIS Login ID", "toy"], *good[1:]],  # no Section
                   [good[0], good[2]]):  # no Points Possible row
        with pytest.raises(AssertionError):
            canvas_reads(broken)


@pytest.mark.slow
def test_roster_problems_are_clear_errors_and_nothing_is_written(graded, tmp_path, capsys):
    out = tmp_path / "exports"

    def export(fmt: str, text: str | None) -> str:
        given = tmp_path / "roster.csv"
        given.unlink(missing_ok=True)
        if text is not None:
            given.write_text(text)
        capsys.readouterr()
        args = ["--course", str(graded.root), "export", "--format", fmt, "--roster", str(given), "--output", str(out)]
        assert cli.main(args) == 2
        assert not out.exists()
        return capsys.readouterr().err

    assert "no row for 5 student(s) in the gradebook: bob, carol, dave, erin, frank" in export(
        "canvas", "id,lms_user_id\nalice,101\n")
    assert "unknown: sis_userid" in export("canvas", "id,sis_userid\nalice,S-1\n")
    assert "appears twice" in export("canvas", "id,lms_user_id\nalice,1\nalice,2\n")
    assert "more fields than columns" in export("canvas", "id,lms_user_id\nalice,1,2\n")
    assert "no lms_user_id / sis_user_id / sis_login_id for: alice" in export("canvas", "id,first_name\nalice,A\n")
    assert "no email / id_number for: bob" in export("moodle", "id,email\nalice,a@uni.test\nbob,\n")
    assert "no roster at" in export("moodle", None)


def test_a_canvas_name_clash_is_refused():
    with pytest.raises(CourseError, match="Final Score"):
        lms.canvas_table(["Final Score"], {"Final Score": "3"}, {}, {"a": roster.Student("a", lms_user_id="1")})
