"""Deadlines as a course runs them: the late penalty equals ``nbgrader autograde``'s own.

A toy course with a due date in ``nbgrader_config.py`` (``c.CourseRules``), per-student
extensions (``extensions.csv``) and a late-day budget is graded by ``grade`` (with the test
double of the per-submission task from tests/test_pipeline.py: the penalty is the pipeline's,
not the scorer's), then by real ``nbgrader autograde`` on the same submissions and the same
gradebook: every notebook's ``late_submission_penalty`` must be the same, for nbgrader's
``zero`` method and for the course's ``PercentPerDay``. The feedback page, the CSV export,
the LMS files and the report then show the penalty and why.
"""
from __future__ import annotations

import csv
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import nbformat
import pytest

from autograder import cli, feedback, grade, lms, store
from autograder.course import Course, CourseError
from autograder.lateness import PercentPerDay, explain, read_extensions
from autograder.outcome import Late
from tests.test_pipeline import A, FAKE_TASKS, toy_source

ROOT = Path(__file__).resolve().parents[1]
DUE = datetime(2026, 2, 1, 12, 0, 0)
#: student -> (submitted, answer); answers are right (2 of 2 points) or 0 points both here and in nbgrader.
SUBMISSIONS = {
    "on_time": (DUE - timedelta(hours=1), "return x * x"),
    "late_30m": (DUE + timedelta(minutes=30), "return x * x"),
    "late_3d": (DUE + timedelta(days=3, minutes=1), "return x * x"),
    "late_wrong": (DUE + timedelta(hours=2), "return 0"),
    "ext_covered": (DUE + timedelta(days=1), "return x * x"),
    "ext_partial": (DUE + timedelta(days=1, hours=2), "return x * x"),
    "ext_all": (DUE + timedelta(hours=20), "return x * x"),
    "late_day": (DUE + timedelta(hours=10), "return x * x"),
}
EXTENSIONS = "student,assignment,extension\next_covered,toy,2 days\next_partial,toy,1d\next_all,*,36h\n"


ZERO = 'c.LateSubmissionPlugin.penalty_method = "zero"'
PERCENT = 'c.AssignLatePenalties.plugin_class = "autograder.lateness.PercentPerDay"\nc.PercentPerDay.percent = 10'
#: (plugin, late days per student) -> the penalty every student must get (None: not late).
CASES = {
    "nbgrader-zero": (ZERO, 0, {"on_time": None, "late_30m": 2.0, "late_3d": 2.0, "late_wrong": 0.0, "ext_covered": None,
                                "ext_partial": 2.0, "ext_all": None, "late_day": 2.0}),
    # one late day each covers up to a day past the (extended) due date; 3 days 1 minute late is
    # then 2 days 1 minute late: 3 days begun, 30 % of 2 points
    "percent-per-day-one-late-day": (PERCENT, 1, {"on_time": None, "late_30m": None, "late_3d": 0.6,
                                                  "late_wrong": None, "ext_covered": None, "ext_partial": None,
                                                  "ext_all": None, "late_day": None}),
}


def _course(where: Path, plugin: str, late_days: int = 0) -> Course:
    root = where / "course"
    (root / "source" / A).mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    with open(root / "nbgrader_config.py", "a") as fh:
        fh.write(f'\nc.CourseRules.assignments = {{"{A}": {{"due": "{DUE:%Y-%m-%d %H:%M:%S} UTC", "arrival": False}}}}\n'
                 f"c.CourseRules.late_days = {late_days}\n{plugin}\n")
    (root / "extensions.csv").write_text(EXTENSIONS)
    nbformat.write(toy_source(), root / "source" / A / f"{A}.ipynb")
    (root / "autograder" / "checks").mkdir(parents=True)
    assert cli.main(["--course", str(root), "release", A, "--no-exchange"]) == 0
    course = Course(root)
    release = nbformat.read(root / "release" / A / f"{A}.ipynb", as_version=4)
    answer = next(i for i, c in enumerate(release.cells) if c.metadata.get("nbgrader", {}).get("solution"))
    for student, (when, body) in SUBMISSIONS.items():
        folder = course.path("submitted", student, A)
        folder.mkdir(parents=True)
        nb = nbformat.read(root / "release" / A / f"{A}.ipynb", as_version=4)
        nb.cells[answer].source = f"def square(x):\n    {body}"
        nbformat.write(nb, folder / f"{A}.ipynb")
        (folder / "timestamp.txt").write_text(f"{when:%Y-%m-%d %H:%M:%S.%f} UTC")
    return course


def _penalties(course: Course) -> dict[str, float | None]:
    with course.gradebook() as gb:
        return {s: gb.find_submission_notebook(A, A, s).late_submission_penalty for s in SUBMISSIONS}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_penalties_equal_nbgrader_autograde(tmp_path, monkeypatch, case):
    """Ours (``grade``), then nbgrader's own ``autograde`` on the same gradebook: the same
    penalty on every notebook, and the one the case says."""
    plugin, late_days, expected = CASES[case]
    monkeypatch.delenv("LRLAB_EXCHANGE", raising=False)
    course = _course(tmp_path, plugin, late_days)
    grade.run(course, A, grade.GradeOptions(workers=1, progress=False), tasks=FAKE_TASKS, log=lambda m: None)
    ours = _penalties(course)
    outcomes = store.read_all(course.root, A)
    assert ours == pytest.approx(expected)
    for student, penalty in expected.items():  # the record says the same, and why
        late = outcomes[student].late
        assert late is not None and late.penalty == pytest.approx(penalty or 0.0), student
        assert (late.seconds > 0) == (penalty is not None), student
    assert outcomes["ext_partial"].late.extension == 86400
    if late_days:
        assert outcomes["late_30m"].late.late_days == 1 and outcomes["ext_covered"].late.late_days == 0
        assert outcomes["late_3d"].late.late_days == 1 and outcomes["late_3d"].late.seconds == 2 * 86400 + 60

    api = course.api()
    for student in SUBMISSIONS:
        result = api.autograde(A, student, force=True, create=True)
        assert result["success"], result.get("error")
    assert _penalties(course) == ours


@pytest.mark.slow
def test_penalty_shows_on_the_page_the_csv_the_lms_files_and_the_report(tmp_path, monkeypatch):
    monkeypatch.delenv("LRLAB_EXCHANGE", raising=False)
    course = _course(tmp_path, ZERO)
    grade.run(course, A, grade.GradeOptions(workers=1, progress=False), tasks=FAKE_TASKS, log=lambda m: None)
    why = "Submitted 30 minutes after your due date 2026-02-01 12:00 UTC: late penalty 2 points"
    feedback.run(course, A, log=lambda m: None)
    page = feedback.visible_text((course.path("feedback", "late_30m", A) / f"{A}.html").read_text())
    assert why in page and "Score after the penalty: 0 / 2" in page
    assert "Late:" not in feedback.visible_text((course.path("feedback", "on_time", A) / f"{A}.html").read_text())

    assert cli.main(["--course", str(course.root), "export"]) == 0
    with open(course.root / "exports" / "grades.csv", newline="") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert (rows["late_30m"]["raw_score"], rows["late_30m"]["late_penalty"], rows["late_30m"]["score"]) == ("2", "2", "0")
    assert why in rows["late_30m"]["late"] and rows["on_time"]["late"] == "" and rows["on_time"]["score"] == "2"

    (course.root / "roster.csv").write_text("id,email,lms_user_id\n" + "".join(
        f"{s},{s}@example.org,{i}\n" for i, s in enumerate(SUBMISSIONS)))
    with course.gradebook() as gb:  # the written answer graded, so the score can go to the LMS
        for student in SUBMISSIONS:
            written = gb.find_grade("explain", A, A, student)
            written.manual_score, written.needs_manual_grade = 1.0, False
        gb.db.commit()
    lms.run(course, "moodle", log=lambda m: None)
    with open(course.root / "exports" / "moodle_grades.csv", newline="") as fh:
        moodle = {r["Email address"].split("@")[0]: r for r in csv.DictReader(fh)}
    assert moodle["late_30m"][f"{A} (Real)"] == "1" and why in moodle["late_30m"][f"{A} (Feedback)"]
    lms.run(course, "canvas", log=lambda m: None)
    with open(course.root / "exports" / "canvas_attention.csv", newline="") as fh:
        notes = {r["student"]: r["note"] for r in csv.DictReader(fh)}
    assert why in notes["late_30m"] and "on_time" not in notes

    assert cli.main(["--course", str(course.root), "report", A]) == 0
    report = (course.root / "reports" / f"{A}.html").read_text()
    assert "Late submissions" in report and "late_30m" in report


def test_percent_per_day_counts_each_day_begun():
    plugin = PercentPerDay(percent=10)
    assert plugin.late_submission_penalty("s", 80, 0) is None
    assert plugin.late_submission_penalty("s", 80, 1) == pytest.approx(8)
    assert plugin.late_submission_penalty("s", 80, 86400) == pytest.approx(8)
    assert plugin.late_submission_penalty("s", 80, 86401) == pytest.approx(16)
    assert plugin.late_submission_penalty("s", 80, 30 * 86400) == pytest.approx(80)  # never more than the score


def test_extensions_file_is_read_strictly(tmp_path):
    path = tmp_path / "extensions.csv"
    assert read_extensions(path) == {}
    path.write_text("student,assignment,extension\nann,ps1,1d 6h\nbob,*,90m\n")
    assert read_extensions(path) == {("ann", "ps1"): timedelta(hours=30), ("bob", "*"): timedelta(minutes=90)}
    for bad, said in [("id,assignment,extension\n", "header"), ("student,assignment,extension\nann,ps1,soon\n", "line 2"),
                      ("student,assignment,extension\n,ps1,1d\n", "line 2")]:
        path.write_text(bad)
        with pytest.raises(CourseError, match=said):
            read_extensions(path)


def test_explain_says_why_in_the_students_words():
    late = Late(seconds=5400, due="2026-02-03T12:00:00", extension=86400, late_days=1, penalty=3, rule="a rule")
    assert explain(late) == ("Submitted 1 hour 30 minutes after your due date 2026-02-03 12:00 UTC (your extension of "
                             "1 day, 1 late day spent): late penalty 3 points (a rule).")
    assert "a late penalty applies" in explain(late, points=False) and "3 points" not in explain(late, points=False)
    assert explain(None) == "" and explain(Late(0, "2026-02-03T12:00:00")) == ""
