"""The instructor pipeline (``python -m autograder …``) on a temporary course copy.

Real nbgrader (generate_assignment, exchange release/submit/collect, release_feedback,
fetch_feedback) and a real SQLite gradebook. The per-submission grader is replaced here,
and only here, by :func:`fake_grade_one` — a test double of ``autograder.grading.worker.grade_one``
with the same contract (``(trusted assignment, student) -> JSON-able Outcome`` that
writes ``autograded/<student>/<assignment>/<assignment>.ipynb``) on a tiny ``toy``
assignment, so these tests exercise the pipeline, not the scorer. One test runs the real
grader end to end when the ps1 assets exist.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder import cli, export, feedback, grade, store
from autograder.course import Course, CourseError
from autograder.grading.validate import read_submission
from autograder.outcome import CheckScore, Outcome
from autograder.reasons import Reason, not_graded

ROOT = Path(__file__).resolve().parents[1]
A = "toy"
SOURCE_MARKER = "HIDDEN-MARKER-SRC-7f3a"  # in the hidden test block of source/toy/toy.ipynb
CHECK_MARKER = "CHECK-MODULE-MARKER-91c2"  # in a check module of the course copy
TS = "2026-02-01 09:00:00.000000 UTC"


# --------------------------------------------------------------------------- the toy course


def _meta(**nbgrader):
    return {"nbgrader": {"schema_version": 3, "locked": False, "solution": False, "grade": False, **nbgrader}}


def toy_source():
    return new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        cells=[
            new_markdown_cell("# Toy\nWrite `square(x)`."),
            new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION",
                          metadata=_meta(solution=True, grade_id="square_answer")),
            new_code_cell("assert square(2) == 4\n### BEGIN HIDDEN TESTS\n"
                          f"assert square(3) == 9  # {SOURCE_MARKER}\n### END HIDDEN TESTS",
                          metadata=_meta(grade=True, locked=True, points=2, grade_id="test_square")),
            new_markdown_cell("Explain.\n\n=== BEGIN MARK SCHEME ===\nanything\n=== END MARK SCHEME ===",
                              metadata=_meta(grade=True, solution=True, points=1, grade_id="explain")),
        ],
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The toy course after ``release`` (release/ and gradebook.db), built once."""
    root = tmp_path_factory.mktemp("template") / "course"
    (root / "source" / A).mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    nbformat.write(toy_source(), root / "source" / A / f"{A}.ipynb")
    checks = root / "autograder" / "checks"
    checks.mkdir(parents=True)
    (checks / "toy.py").write_text(f'REFERENCE = {{"square(3)": 9}}  # {CHECK_MARKER} reference table\n')
    saved = os.environ.pop("LRLAB_EXCHANGE", None)
    try:
        assert cli.main(["--course", str(root), "release", A]) == 0
    finally:
        if saved is not None:
            os.environ["LRLAB_EXCHANGE"] = saved
    return root


@pytest.fixture
def course(template, tmp_path, monkeypatch) -> Course:
    monkeypatch.delenv("LRLAB_EXCHANGE", raising=False)
    root = tmp_path / "course"
    shutil.copytree(template, root)
    return Course(root)


def answer_nb(course: Course, body: str):
    nb = nbformat.read(course.root / "release" / A / f"{A}.ipynb", as_version=4)
    nb.cells[1].source = f"def square(x):\n    {body}"
    return nb


def submit(course: Course, student: str, content) -> Path:
    """Lay out submitted/<student>/toy/ like nbgrader's collect (timestamp.txt included)."""
    folder = course.path("submitted", student, A)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    if isinstance(content, dict) and not isinstance(content, nbformat.NotebookNode):
        for name, data in content.items():
            (folder / name).write_bytes(data)
    else:
        data = content if isinstance(content, bytes) else nbformat.writes(content).encode()
        (folder / f"{A}.ipynb").write_bytes(data)
    (folder / "timestamp.txt").write_text(TS)
    return folder


def small_class(course: Course) -> dict[str, str]:
    """{student: expected status/reason}."""
    submit(course, "alice", answer_nb(course, "return x * x"))
    submit(course, "bob", answer_nb(course, "return x + x"))  # partial
    submit(course, "carol", nbformat.read(course.root / "release" / A / f"{A}.ipynb", as_version=4))  # blank
    submit(course, "dave", b'{"cells": [ not json')
    submit(course, "erin", {"answers.py": b"def square(x): return x * x\n"})
    submit(course, "frank", answer_nb(course, "return x * x  # CRASH_GRADER"))
    return {"alice": "graded", "bob": "graded", "carol": "graded", "dave": "not_a_notebook",
            "erin": "not_a_notebook", "frank": "crash"}


# --------------------------------------------------------------------------- the test double


def fake_grade_one(job, student: str) -> dict:
    """Test double of autograder.grading.worker.grade_one for the toy assignment (see module doc)."""
    root, assignment = Path(job.assignment.course_root), job.assignment.name
    with open(root / "calls.log", "a") as log:
        log.write(student + "\n")
    outcome = Outcome(assignment=assignment, student=student, status="failed", isolation="test-double",
                      seconds={"score": 0.01, "execute": 0.02})
    path = root / "submitted" / student / assignment / f"{assignment}.ipynb"
    if not path.is_file():
        outcome.reason, outcome.detail = "not_a_notebook", f"Expected {assignment}.ipynb."
        return _asdict(outcome)
    data, reason, detail = read_submission(path)  # the real grader's size-capped reader
    if data is None:
        outcome.reason, outcome.detail = str(reason), detail
        return _asdict(outcome)
    try:
        nb = nbformat.reads(data.decode(), as_version=4)
    except Exception:
        outcome.reason, outcome.detail = "not_a_notebook", "The file is not valid JSON."
        return _asdict(outcome)
    answer = nb.cells[1].source
    if (root / "environment_broken").exists():  # as the real grader reports a sandbox that fails
        outcome.flags.append("grader error: sandbox child setup failed: simulated")
        outcome.reason, outcome.detail = "grader_error", not_graded(Reason.GRADER_ERROR)
        return _asdict(outcome)
    if "CRASH_GRADER" in answer:
        raise RuntimeError("simulated grader bug")
    if "KILL_WORKER" in answer:
        os._exit(7)
    if "SLEEP" in answer:
        time.sleep(0.4)
    score = 2.0 if "x * x" in answer else 1.0 if "x + x" in answer else 0.0
    message = "All cases pass." if score == 2 else f"square(3) returned the wrong value, {student}: \"check\", again"
    outcome.status = "graded"
    outcome.checks = [CheckScore("test_square", "Squares numbers", 2.0, score, message, basics_ok=score > 0,
                                 kernel_passed="FAKE_PASS" in answer or score > 0)]
    if "FAKE_PASS" in answer:
        outcome.flags.append("test_square passed in the kernel but failed in the scorer (suspected tampering)")
    # An executed notebook as a careless task might leave it: hidden block and a traceback
    # through a check module. Feedback must show none of it.
    executed = nbformat.reads(data.decode(), as_version=4)
    test_cell = executed.cells[2]
    test_cell.source += f"\n### BEGIN HIDDEN TESTS\nassert square(3) == 9  # {SOURCE_MARKER}\n### END HIDDEN TESTS"
    test_cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=f'REFERENCE = {{"square(3)": 9}}  # {CHECK_MARKER} reference table\n'),
        nbformat.v4.new_output("error", ename="AssertionError", evalue="square(3) wrong", traceback=[
            "Traceback (most recent call last):",
            f'  File "{root}/autograder/checks/toy.py", line 1, in <module>',
            f'    REFERENCE = {{"square(3)": 9}}  # {CHECK_MARKER} reference table',
            "AssertionError: square(3) wrong"]),
    ]
    executed.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="visible output 123\n")]
    target = root / "autograded" / student / assignment / f"{assignment}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(executed, target)
    return _asdict(outcome)


def _asdict(outcome: Outcome) -> dict:
    return json.loads(outcome.to_json())


def calls(course: Course) -> list[str]:
    path = course.root / "calls.log"
    return path.read_text().split() if path.exists() else []


FAKE_TASKS = grade.Tasks(grade=fake_grade_one)


def run_grade(course, log=lambda m: None, **options):
    options.setdefault("workers", 2)
    return grade.run(course, A, grade.GradeOptions(progress=False, **options), tasks=FAKE_TASKS, log=log)


def grades_in_gradebook(course: Course) -> dict[str, dict]:
    out = {}
    with course.gradebook() as gb:
        for sub in gb.assignment_submissions(A):
            nb = sub.notebooks[0]
            out[sub.student.id] = {
                "score": sub.score, "flagged": nb.flagged,
                **{g.cell.name: (g.auto_score, g.manual_score, g.needs_manual_grade) for g in nb.grades}}
    return out


# --------------------------------------------------------------------------- tests


@pytest.mark.slow
def test_grade_one_record_per_submission_and_gradebook(course):
    expected = small_class(course)
    summary = run_grade(course)
    assert summary.total == 6 and summary.graded == 3 and summary.failed == 3
    records = sorted(p.stem for p in store.outcome_dir(course.root, A).glob("*"))
    assert records == sorted(expected)  # exactly one record each, nothing else in the folder
    outcomes = store.read_all(course.root, A)
    for student, want in expected.items():
        o = outcomes[student]
        assert (o.status if o.status == "graded" else o.reason) == want, student
        assert o.submission_hash == store.submission_hash(course.path("submitted", student, A), A)
    assert outcomes["frank"].detail == not_graded(Reason.CRASH) and "simulated grader bug" in summary.errors["frank"]
    gb = grades_in_gradebook(course)
    assert gb["alice"]["test_square"][0] == 2.0 and gb["bob"]["test_square"][0] == 1.0
    assert gb["carol"]["test_square"][0] == 0.0
    # manual cells stay for formgrader, except where there is no usable notebook at all
    assert gb["alice"]["explain"] == (None, None, True)
    assert gb["dave"]["explain"] == (0.0, None, False) and gb["dave"]["flagged"]
    assert gb["frank"]["test_square"][0] == 0.0 and gb["frank"]["flagged"] and not gb["alice"]["flagged"]
    # idempotent: nothing changed, nothing regraded -- except our own crash, which is retried
    before = calls(course)
    summary = run_grade(course)
    assert calls(course)[len(before):] == ["frank"] and summary.current == 5


@pytest.mark.slow
def test_resume_after_kill_grades_only_the_rest(course):
    """A real SIGKILL of the coordinator mid-run; the restart grades only what is missing."""
    for i in range(8):
        submit(course, f"s{i}", answer_nb(course, "return x * x  # SLEEP"))
    script = (f"import sys; sys.path[:0] = [{str(ROOT)!r}, {str(Path(__file__).parent)!r}]\n"
              "from autograder import grade; from autograder.course import Course\n"
              "from test_pipeline import fake_grade_one\n"
              f"grade.run(Course({str(course.root)!r}), 'toy', grade.GradeOptions(workers=1, progress=False),\n"
              "          tasks=grade.Tasks(grade=fake_grade_one))\n")
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    folder = store.outcome_dir(course.root, A)
    deadline = time.time() + 60
    while time.time() < deadline and len(list(folder.glob("*.json"))) < 3:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = {p.stem for p in folder.glob("*.json")}
    assert 3 <= len(done_before) < 8
    n_calls = len(calls(course))
    summary = run_grade(course)
    regraded = set(calls(course)[n_calls:])
    assert summary.current == len(done_before)
    assert regraded == {f"s{i}" for i in range(8)} - done_before  # only the rest, each once
    assert sorted(p.stem for p in folder.glob("*.json")) == [f"s{i}" for i in range(8)]
    assert all(v["test_square"][0] == 2.0 for v in grades_in_gradebook(course).values())


@pytest.mark.slow
def test_regrade_replaces_stale_scores_and_deleted_gradebook_is_rebuilt(course):
    submit(course, "alice", answer_nb(course, "return x * x"))
    submit(course, "bob", answer_nb(course, "return x * x"))
    run_grade(course)
    with course.gradebook() as gb:  # a human override, and a stale row nbgrader left behind
        gb.find_grade("test_square", A, A, "alice").manual_score = 1.5
        gb.find_grade("test_square", A, A, "bob").manual_score = 0.5
        gb.db.commit()
    submit(course, "alice", answer_nb(course, "return x + x"))  # alice resubmits a worse answer
    summary = run_grade(course)
    assert calls(course).count("alice") == 2 and calls(course).count("bob") == 1 and summary.current == 1
    gb = grades_in_gradebook(course)
    assert gb["alice"]["test_square"] == (1.0, None, False) and gb["alice"]["score"] == 1.0
    assert gb["bob"]["test_square"] == (2.0, 0.5, True)  # unchanged submission: override kept for review
    # missing gradebook: recreated from source/ and every current record re-applied, no regrading
    (course.root / "gradebook.db").unlink()
    summary = run_grade(course)
    assert summary.gradebook_created and summary.current == 2 and len(calls(course)) == 3
    gb = grades_in_gradebook(course)
    assert gb["alice"]["test_square"][0] == 1.0 and gb["bob"]["test_square"][0] == 2.0


@pytest.mark.slow
def test_worker_death_becomes_one_crash_outcome(course):
    submit(course, "alice", answer_nb(course, "return x * x"))
    submit(course, "mallory", answer_nb(course, "return x * x  # KILL_WORKER"))
    summary = run_grade(course, workers=1)
    outcomes = store.read_all(course.root, A)
    assert outcomes["alice"].status == "graded"
    assert (outcomes["mallory"].status, outcomes["mallory"].reason) == ("failed", "crash")
    assert outcomes["mallory"].detail == not_graded(Reason.CRASH) and summary.failed == 1
    assert any("died twice" in f for f in outcomes["mallory"].flags)


@pytest.mark.slow
def test_grader_error_stops_the_run_and_overwrites_no_score(course):
    """The grading environment failing is never the student's: the run stops at the first
    such failure with one line, earlier records and gradebook scores stay, a rerun retries."""
    for student in ("alice", "bob", "carol"):
        submit(course, student, answer_nb(course, "return x * x"))
    run_grade(course)
    before_records = {s: o.to_json() for s, o in store.read_all(course.root, A).items()}
    before_gradebook = grades_in_gradebook(course)
    submit(course, "dave", answer_nb(course, "return x * x"))
    (course.root / "environment_broken").write_text("")
    lines: list[str] = []
    n_calls = len(calls(course))
    summary = run_grade(course, log=lines.append, force=True, workers=1)
    assert len(calls(course)) == n_calls + 1, "the run stops after the first grader error"
    stop = [line for line in lines if line.startswith("grade stopped")]
    assert stop == [summary.stopped] and "sandbox child setup failed" in summary.stopped
    records = store.read_all(course.root, A)
    assert {s: records[s].to_json() for s in before_records} == before_records
    assert grades_in_gradebook(course) == before_gradebook
    first = calls(course)[-1]
    if first == "dave":  # a submission without a record gets one saying why (retried next run)
        assert (records["dave"].status, records["dave"].reason) == ("failed", "grader_error")
    (course.root / "environment_broken").unlink()
    summary = run_grade(course)
    assert not summary.stopped and summary.graded == 1 and calls(course)[-1] == "dave"
    assert store.read(course.root, A, "dave").status == "graded"


@pytest.mark.slow
def test_dask_local_cluster(course):
    distributed = pytest.importorskip("distributed")
    expected = small_class(course)
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None,
                                  host="127.0.0.1") as cluster:
        summary = run_grade(course, dask=cluster.scheduler_address)
    assert summary.total == 6 and summary.graded + summary.failed == 6
    outcomes = store.read_all(course.root, A)
    assert sorted(outcomes) == sorted(expected)
    assert outcomes["frank"].reason == "crash" and outcomes["alice"].score == 2.0
    assert grades_in_gradebook(course)["bob"]["test_square"][0] == 1.0


@pytest.mark.slow
def test_feedback_never_leaks_hidden_material(course):
    small_class(course)
    submit(course, "trudy", answer_nb(course, "return 0  # FAKE_PASS"))
    run_grade(course)
    assert cli.main(["--course", str(course.root), "feedback", A]) == 0
    pages = sorted(course.root.glob(f"feedback/*/{A}/{A}.html"))
    assert {p.parent.parent.name for p in pages} == {"alice", "bob", "carol", "dave", "erin", "frank", "trudy"}
    for page in pages:
        text = page.read_text()
        assert SOURCE_MARKER not in text and CHECK_MARKER not in text, page
        assert "BEGIN HIDDEN TESTS" not in text and "autograder/checks" not in text
        assert (page.parent / "timestamp.txt").read_text() == TS
    bob = (course.root / "feedback" / "bob" / A / f"{A}.html").read_text()
    assert "Squares numbers" in bob and "1 / 2" in bob and "square(3) returned the wrong value" in bob
    shown = feedback.visible_text(bob)
    assert "assert square(2) == 4" in shown and "visible output 123" in shown  # visible test and outputs stay
    dave = (course.root / "feedback" / "dave" / A / f"{A}.html").read_text()
    assert "Not graded" in dave and "not a Jupyter notebook" in dave


@pytest.mark.slow
def test_export_quotes_and_report(course):
    odd = 'smith, "jo"'
    small_class(course)
    submit(course, odd, answer_nb(course, "return x + x"))
    run_grade(course)
    out = course.root / "exports"
    assert cli.main(["--course", str(course.root), "export"]) == 0
    with open(out / "grades.csv", newline="") as fh:
        rows = {(r["student"], r["assignment"]): r for r in csv.DictReader(fh)}
    assert rows[(odd, A)]["score"] == "1" and rows[(odd, A)]["status"] == "graded"
    assert rows[("dave", A)]["status"] == "failed" and rows[("dave", A)]["reason"] == "not_a_notebook"
    assert rows[("frank", A)]["reason"] == "crash" and rows[("alice", A)]["max_score"] == "3"
    raw = (out / "grades.csv").read_text()
    assert '"smith, ""jo"""' in raw
    with open(out / "check_scores.csv", newline="") as fh:
        checks = list(csv.DictReader(fh))
    mine = [r for r in checks if r["student"] == odd]
    assert mine[0]["grade_id"] == "test_square" and mine[0]["score"] == "1" and '"check", again' in mine[0]["message"]
    assert any(r["student"] == "erin" and r["reason"] == "not_a_notebook" for r in checks)

    assert cli.main(["--course", str(course.root), "report", A]) == 0
    page = (course.root / "reports" / f"{A}.html").read_text()
    assert page.count("data:image/png;base64,") >= 3
    for section in ("Score distribution", "Pass rate per check", "Failures by reason", "Slowest submissions",
                    "Suspected tampering", "not_a_notebook", "test-double"):
        assert section in page
    assert 'smith, "jo"' not in page and "<td>smith, &#34;jo&#34;</td>" in page  # escaped by the template


@pytest.mark.slow
def test_exchange_release_collect_and_feedback_reach_the_student(course, tmp_path, monkeypatch):
    """release -> student fetch/submit (nbgrader exchange) -> collect -> grade -> feedback ->
    nbgrader release_feedback -> student fetch_feedback finds it (keyed by submission secret)."""
    from nbgrader.exchange.default import ExchangeFetchAssignment, ExchangeFetchFeedback, ExchangeSubmit
    from autograder.arrival.exchange import student_app

    exchange = tmp_path / "exchange"
    monkeypatch.setenv("LRLAB_EXCHANGE", str(exchange))
    assert cli.main(["--course", str(course.root), "release", A]) == 0
    assert (exchange / "lrlab" / "outbound" / A / f"{A}.ipynb").is_file()
    assert cli.main(["--course", str(course.root), "release", A]) == 0  # re-release replaces

    home = tmp_path / "home"

    def app(cls):
        return student_app(cls, exchange, home, "lrlab", "alice", A)

    app(ExchangeFetchAssignment).start()
    work = home / A / f"{A}.ipynb"
    nb = nbformat.read(work, as_version=4)
    nb.cells[1].source = "def square(x):\n    return x * x"
    nbformat.write(nb, work)
    app(ExchangeSubmit).start()

    course = Course(course.root)  # re-read nbgrader_config.py with the exchange set
    assert cli.main(["--course", str(course.root), "collect", A]) == 0
    assert (course.path("submitted", "alice", A) / "submission_secret.txt").is_file()
    run_grade(course)
    assert cli.main(["--course", str(course.root), "feedback", A]) == 0
    assert (course.path("feedback", "alice", A) / "submission_secret.txt").is_file()
    from autograder.course import check_result

    check_result(course.api().release_feedback(A), "release_feedback")
    app(ExchangeFetchFeedback).start()
    fetched = list((home / A / "feedback").glob(f"*/{A}.html"))
    assert len(fetched) == 1 and "Autograded score: 2 / 2" in fetched[0].read_text()


@pytest.mark.slow
def test_bad_requests_exit_2_and_lose_nothing(course, capsys):
    submit(course, "alice", answer_nb(course, "return x * x"))
    run_grade(course)
    record = store.outcome_path(course.root, A, "alice").read_bytes()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "autograder", "--course", str(course.root), "grade", "ps9_nope"],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 2 and "unknown assignment 'ps9_nope'" in r.stderr

    def cli_run(*args):
        capsys.readouterr()
        code = cli.main(["--course", str(course.root), *args])
        return code, capsys.readouterr().err

    code, err = cli_run("grade", A, "--students", "zed*")
    assert code == 2 and "matches 'zed*'" in err and "alice" in err
    code, err = cli_run("feedback", A, "--students", "zed")
    assert code == 2 and "no graded submissions" in err
    code, err = cli_run("collect", A)
    assert code == 2 and "LRLAB_EXCHANGE" in err
    code, err = cli_run("release", "ps9_nope")
    assert code == 2 and "unknown assignment" in err
    code, err = cli_run("grade", A, "--workers", "0")
    assert code == 2 and "--workers" in err
    with pytest.raises(SystemExit) as exc:
        cli.main(["--course", str(course.root), "grade"])  # argparse usage error
    assert exc.value.code == 2
    assert store.outcome_path(course.root, A, "alice").read_bytes() == record
    with pytest.raises(CourseError):
        grade.select_students(course, A, "nobody")


def test_export_without_gradebook_is_a_clear_error(tmp_path):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    with pytest.raises(CourseError, match="no gradebook"):
        export.run(Course(tmp_path), log=lambda m: None)
    assert cli.main(["--course", str(tmp_path), "report", "toy"]) == 2


def test_sanitize_drops_hidden_blocks_and_instructor_tracebacks():
    release = new_notebook(cells=[new_code_cell("assert f(1) == 1", metadata=_meta(grade=True, locked=True, points=1, grade_id="t"))])
    executed = new_notebook(cells=[new_code_cell(
        f"assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(2) == 4 # {SOURCE_MARKER}\n### END HIDDEN TESTS",
        metadata=_meta(grade=True, locked=True, points=1, grade_id="t"))])
    executed.cells[0].outputs = [nbformat.v4.new_output("error", ename="E", evalue="x", traceback=[
        'File "/x/autograder/assignments/ps1_schedulers/checks.py", line 3', "secret_reference_line = 42 * 17"])]
    safe = feedback.sanitize(executed, release, {"secret_reference_line = 42 * 17"})
    assert safe.cells[0].source == "assert f(1) == 1"
    assert safe.cells[0].outputs[0]["traceback"] == ["E: x"]
    assert feedback.leaks("<p>secret_reference_line = 42 * 17</p>", {"secret_reference_line = 42 * 17"})


def test_store_is_atomic_and_hash_tracks_content(tmp_path):
    o = Outcome(assignment=A, student="s", status="failed", reason="timeout")
    store.write(tmp_path, o)
    assert store.read(tmp_path, A, "s") == o and not list(store.outcome_dir(tmp_path, A).glob(".*"))
    store.outcome_path(tmp_path, A, "torn").write_text('{"assignment": "toy", "stud')
    assert store.read(tmp_path, A, "torn") is None  # unreadable -> regraded, never trusted
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "answers.py").write_text("x")
    h1 = store.submission_hash(sub, A)
    (sub / "timestamp.txt").write_text(TS)
    assert store.submission_hash(sub, A) == h1
    (sub / f"{A}.ipynb").write_text("{}")
    assert store.submission_hash(sub, A) != h1


def test_a_huge_sparse_submission_is_its_own_outcome_and_the_run_goes_on(course):
    """A sparse 100 GB notebook in submitted/ (a few kB on disk): the run hashes it without
    reading it whole, that submission fails as too large, everyone else is graded; an
    unreadable one is likewise its own outcome. A rerun finds both current."""
    expected = small_class(course)
    huge = course.path("submitted", "mallory", A)
    huge.mkdir(parents=True)
    (huge / "timestamp.txt").write_text(TS)
    with open(huge / f"{A}.ipynb", "wb") as fh:
        fh.truncate(100 << 30)
    locked = submit(course, "oscar", answer_nb(course, "return x * x"))
    (locked / f"{A}.ipynb").chmod(0)
    summary = run_grade(course)
    outcomes = store.read_all(course.root, A)
    assert summary.total == 8 and set(outcomes) == {*expected, "mallory", "oscar"}
    assert outcomes["mallory"].reason == Reason.INVALID_NOTEBOOK and "larger than" in outcomes["mallory"].detail
    assert outcomes["alice"].status == "graded" and outcomes["alice"].score == 2.0
    if os.geteuid() != 0:  # root reads a file whatever its mode
        assert outcomes["oscar"].reason == Reason.NOT_A_NOTEBOOK
    assert run_grade(course).current == 7  # all but frank's grader crash, which is retried


def test_submission_hash_reads_in_chunks_and_never_raises(tmp_path, monkeypatch):
    """Files up to the limit are hashed by their bytes (read in chunks, never whole), larger
    or unreadable ones by their metadata or the error."""
    sub = tmp_path / "sub"
    sub.mkdir()
    notebook = sub / f"{A}.ipynb"
    notebook.write_bytes(b"x" * (3 << 20))
    reads = []
    real_read = os.read
    monkeypatch.setattr(store.os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    import hashlib

    assert store.submission_hash(sub, A) == hashlib.sha256(b"x" * (3 << 20)).hexdigest()
    assert reads and max(reads) <= 1 << 20
    monkeypatch.setattr(store, "HASHED_BYTES", 1 << 20)
    big = store.submission_hash(sub, A)
    assert big != hashlib.sha256(b"x" * (3 << 20)).hexdigest() and big == store.submission_hash(sub, A)
    notebook.write_bytes(b"y" * (3 << 20))
    assert store.submission_hash(sub, A) != big  # replaced: another inode or time
    notebook.unlink()
    (sub / "folder").mkdir()
    (sub / "folder" / "a.txt").write_text("a")
    (sub / "folder").chmod(0)
    try:
        assert len(store.submission_hash(sub, A)) == 64
    finally:
        (sub / "folder").chmod(0o755)


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_demo_from_a_clean_copy(demo_class):
    """``make demo`` (``python -m autograder demo``) on a copy of this checkout with the SQLite
    default and release/ regenerated: the real grader, every kind of sample submission."""
    from autograder import assignments

    root, r = demo_class.root, demo_class
    assert r.returncode == 0, r.stderr[-3000:]
    for assignment in assignments.names():
        outcomes = store.read_all(root, assignment)
        correct = outcomes["demo_correct"]
        assert correct.status == "graded" and correct.score == correct.max_score > 0, correct
        assert outcomes["demo_broken"].reason in ("not_a_notebook", "invalid_notebook")
        assert outcomes["demo_not_nb"].reason == "not_a_notebook"
        if "demo_other" in outcomes:
            assert outcomes["demo_other"].reason == "wrong_assignment"
        assert outcomes["demo_blank"].status == "graded" and outcomes["demo_blank"].score == 0
        crash = outcomes["demo_crashing"]
        assert crash.status == "failed" or crash.score < correct.max_score
        assert outcomes["demo_slow"].score == correct.max_score
        # honest answers, right or wrong: the visible tests and the scorer's basics agree
        for student in ("demo_correct", "demo_partial", "demo_wrong", "demo_blank", "demo_slow"):
            assert not [f for f in outcomes[student].flags if "tampering" in f], (student, outcomes[student].flags)
        assert (root / "feedback" / "demo_correct" / assignment / f"{assignment}.html").is_file()
        assert (root / "reports" / f"{assignment}.html").is_file()
        assert "demo_correct" in r.stdout and str(Path("exports") / "grades.csv") in r.stdout
    # issue 14: the ps3 class in its expected order (wrong = a choose_lr that ignores lrlab's
    # diverged flag, 81.11/85; partial = range test right, choose_lr right, a loop that never
    # stops, 41/85)
    ps3 = store.read_all(root, "ps3_tuning")
    order = [ps3[s].score for s in ("demo_correct", "demo_wrong", "demo_partial", "demo_blank")]
    assert order == sorted(order, reverse=True) and len(set(order)) == 4, order


def test_report_lists_only_what_the_grader_flagged():
    """Losing hidden points after passing the visible tests is normal, not tampering."""
    from autograder.outcome import CheckScore, Outcome
    from autograder.report import _total_seconds, tampering

    honest = Outcome(A, "ann", "graded", checks=[CheckScore("t", "T", 10, 4, kernel_passed=True)],
                     seconds={"score": 0.5, "execute": 1.0, "total": 1.6})
    flagged = Outcome(A, "bob", "graded", flags=["t passed in the kernel but failed in the scorer"])
    assert tampering(honest) == [] and tampering(flagged) == flagged.flags
    assert _total_seconds(honest) == 1.6 and _total_seconds(Outcome(A, "c", "failed", seconds={"a": 1.0})) == 1.0


def test_report_says_what_a_weak_level_left_undone():
    """Graded with --allow-weak-isolation: the report says the files were not hidden, or the
    students not kept apart; a full level says nothing."""
    from autograder.outcome import Outcome
    from autograder.report import _weak_isolation

    full = Outcome(A, "ann", "graded", isolation="netns+mountns+pidns+pidns-per-child+uid+seccomp+landlock+rlimits")
    assert _weak_isolation([full]) == []
    shared = Outcome(A, "bob", "graded", isolation="netns+mountns+pidns+userns+seccomp+landlock+rlimits")
    bare = Outcome(A, "cid", "graded", isolation="seccomp+rlimits")
    lines = _weak_isolation([full, shared, bare])
    assert [line.split(":")[0] for line in lines] == ["netns+mountns+pidns+userns+seccomp+landlock+rlimits",
                                                       "seccomp+rlimits", "seccomp+rlimits"]
    assert "not kept apart" in lines[0] and any("not hidden" in line for line in lines[1:])
