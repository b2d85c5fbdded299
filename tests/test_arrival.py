"""Grading on arrival (issue 25): the rules, the decisions, the queue, the records and the service.

The service tests submit through nbgrader's own exchange classes (``ExchangeSubmit``) and
fetch what it released with nbgrader's ``ExchangeFetchFeedback``, on a toy course. The
per-submission work is a test double here (:func:`fake_grade`, the contract of
``autograder.grading.worker.grade_at``: the attempt's folders in, a JSON-able outcome out), so
these tests exercise the service; ``test_real_grader_on_arrival_equals_batch_grade`` runs the
real grader (sandbox, sealed scorer) and compares with ``grade``.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import nbformat
import pytest

from autograder import cli, store
from autograder.arrival import service
from autograder.arrival.attempts import AttemptRecord, AttemptStore, Refusal, counting, decide
from autograder.arrival.exchange import Arrival, feedback_key, student_app
from autograder.arrival.queue import FairQueue
from autograder.arrival.status import StatusPages
from autograder.course import Course
from autograder.feedback import visible_text
from autograder.outcome import CheckScore, Late, Outcome
from autograder.reasons import Reason, not_graded
from autograder.rules import course_rules
from autograder.submission_policy import Counting, Feedback, SubmissionPolicy, describe_duration, parse_duration
from tests.arrival_doubles import fake_execute, fake_grade, fake_warm
from tests.test_pipeline import CHECK_MARKER, SOURCE_MARKER, A, toy_source

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 1, 12, 0, 0)


def _policy(**rules) -> SubmissionPolicy:
    from nbgrader.utils import parse_utc

    return SubmissionPolicy.from_config("ps", rules, parse_utc)


# --------------------------------------------------------------------------- the rules


def test_policy_defaults_overrides_and_clear_errors():
    assert SubmissionPolicy.from_config("ps", None, str).arrival is False  # not listed: not graded on arrival
    default = _policy()
    assert (default.arrival, default.feedback, default.attempts, default.cooldown, default.counts, default.due) == (
        True, Feedback.CHECKS, 10, timedelta(minutes=2), Counting.LAST, None)
    policy = _policy(due="2026-03-02 17:00:00 UTC", closes="2026-03-04 17:00:00 UTC", attempts=None, cooldown="1h30m",
                     feedback="visible", counts="best")
    assert policy.due == datetime(2026, 3, 2, 17) and policy.closing == datetime(2026, 3, 4, 17)
    assert policy.attempts is None and policy.cooldown == timedelta(minutes=90) and policy.counts is Counting.BEST
    assert _policy(due="2026-03-02 17:00:00 UTC").closing == datetime(2026, 3, 2, 17)  # closes defaults to due
    for rules, said in [({"attempt": 3}, "unknown rule"), ({"attempts": 0}, "attempts"), ({"feedback": "all"}, "feedback"),
                        ({"cooldown": "soon"}, "cooldown"), ({"counts": "first"}, "counts"), ({"arrival": "yes"}, "arrival"),
                        ({"due": "2026-03-02 17:00:00 UTC", "closes": "2026-03-01 17:00:00 UTC"}, "before due")]:
        with pytest.raises(ValueError, match=said):
            _policy(**rules)


def test_durations_read_and_said():
    assert parse_duration(90) == parse_duration("90s") == parse_duration("1.5 minutes") == timedelta(seconds=90)
    assert parse_duration("1d 6h") == timedelta(hours=30) and parse_duration("2 days") == timedelta(days=2)
    for bad in ("", "-5", "5 parsecs", "h", True):
        with pytest.raises(ValueError):
            parse_duration(bad)
    assert describe_duration(timedelta(hours=30, seconds=1)) == "1 day 6 hours 1 second"
    assert describe_duration(timedelta(0)) == "0 seconds"


def test_rules_come_from_nbgrader_config(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseRules.assignments = {'ps1': {}, 'ps2': {'arrival': False, 'due': '2026-03-02 17:00:00 UTC'}}\n"
        "c.CourseRules.late_days = 2\n")
    rules = course_rules(Course(tmp_path).config)
    assert rules.arrival_assignments() == ["ps1"] and rules.late_days == 2
    assert rules.policy("ps2").due == datetime(2026, 3, 2, 17) and not rules.policy("ps3").arrival


def test_the_repository_grades_ps1_and_ps2_on_arrival():
    """The course's own configuration (ps3 joins once its rebuild lands: add it and `make release`)."""
    assert course_rules(Course(ROOT).config).arrival_assignments() == ["ps1_schedulers", "ps2_diagnosing_curves"]


# --------------------------------------------------------------------------- decisions


def _record(n: int, arrived: datetime, refused: str = "") -> AttemptRecord:
    return AttemptRecord("ps", "ann", f"a{n}", f"ann+ps+{n}", str(arrived), arrived.isoformat(), n if not refused else 0,
                         refused)


def test_decide_counts_graded_attempts_cooldown_and_closing():
    policy = _policy(attempts=2, cooldown="10m", due="2026-03-01 13:00:00 UTC")
    assert decide(policy, T0, []) == (1, "", "")
    first = _record(1, T0)
    number, refused, message = decide(policy, T0 + timedelta(minutes=3), [first])
    assert (number, refused) == (0, Refusal.COOLDOWN)
    assert "at least 10 minutes apart" in message and "3 minutes after your previous one" in message
    assert "Submit again after 2026-03-01 12:10:01 UTC" in message
    refused_one = _record(9, T0 + timedelta(minutes=3), Refusal.COOLDOWN)
    assert decide(policy, T0 + timedelta(minutes=11), [first, refused_one])[0] == 2  # refusals do not count
    second = _record(2, T0 + timedelta(minutes=11))
    number, refused, message = decide(policy, T0 + timedelta(minutes=30), [first, refused_one, second])
    assert refused == Refusal.LIMIT and "used all 2 graded attempts for ps" in message
    late = decide(policy, T0 + timedelta(hours=2), [])
    assert late[1] == Refusal.CLOSED and "2026-03-01 13:00 UTC" in late[2]
    assert decide(policy, T0 + timedelta(hours=2), [], extension=timedelta(hours=2))[0] == 1  # an extension moves it
    assert decide(_policy(attempts=None, cooldown=0), T0, [_record(i, T0) for i in range(1, 50)])[0] == 50


def _outcome(score: float, status: str = "graded", reason=None, penalty: float = 0.0) -> Outcome:
    o = Outcome(A, "ann", status, reason=reason, checks=[CheckScore("t", "T", 10, score)])
    o.late = Late(1.0, "2026-03-01T12:00:00", penalty=penalty) if penalty else None
    return o


def test_counting_takes_the_last_or_the_best_after_its_penalty():
    a, b, c = _record(1, T0), _record(2, T0 + timedelta(minutes=5)), _record(3, T0 + timedelta(minutes=9))
    graded = [(a, _outcome(9)), (b, _outcome(10, penalty=4)), (c, _outcome(5))]
    assert counting(_policy(), graded) is c
    assert counting(_policy(counts="best"), graded) is a  # 9 beats 10 - 4
    assert counting(_policy(counts="best"), [(a, _outcome(7)), (b, _outcome(7))]) is b  # a tie: the later
    failed = [(a, _outcome(3)), (b, _outcome(0, "failed", Reason.NOT_A_NOTEBOOK))]
    assert counting(_policy(), failed) is b and counting(_policy(counts="best"), failed) is a
    crashed = [(a, _outcome(3)), (b, _outcome(0, "failed", Reason.CRASH))]
    assert counting(_policy(), crashed) is a  # the grader's own failure counts only when nothing else can
    assert counting(_policy(), []) is None


def test_one_queue_per_student_first_attempts_first():
    queue: FairQueue[str] = FairQueue()
    for i in range(30):  # one student's burst arrives first
        queue.put("mallory", f"mallory-{i + 1}", (i + 1, i))
    for i, student in enumerate(["ann", "ben", "cid"]):
        queue.put(student, student, (1, 100 + i))
    assert queue.ahead_of("cid") == 3 and len(queue) == 33
    order = []
    while (item := queue.take()) is not None:  # two workers: take, then finish the older in flight
        order.append(item)
        second = queue.take()
        if second is not None:
            order.append(second)
            queue.done(second.split("-")[0])
        queue.done(item.split("-")[0])
    assert order[:4] == ["mallory-1", "ann", "ben", "cid"] and order[4:] == [f"mallory-{i}" for i in range(2, 31)]
    busy: FairQueue[str] = FairQueue()
    busy.put("ann", "ann-1", (1, 0))
    busy.put("ann", "ann-2", (2, 1))
    assert busy.take() == "ann-1" and busy.take() is None  # at most one per student in flight


def test_an_attempts_outcome_is_created_once(tmp_path):
    attempts = AttemptStore(tmp_path)
    record = _record(1, T0)
    attempts.write_record(record)
    assert attempts.write_outcome_once(record, _outcome(3)) is True
    assert attempts.write_outcome_once(record, _outcome(10)) is False
    assert attempts.outcome(record).score == 3 and attempts.records() == [record]
    assert not [p for p in attempts.folder("ps", "ann", "a1").iterdir() if p.name.startswith(".")]


def test_an_inbound_folder_name_is_the_event(tmp_path):
    folder = tmp_path / "ann+ps1_schedulers+2026-03-01 12:00:00.123456 UTC+AbC-d_e="
    folder.mkdir()
    arrival = Arrival.parse(folder)
    assert (arrival.student, arrival.assignment, arrival.random) == ("ann", "ps1_schedulers", "AbC-d_e=")
    assert arrival.attempt_id == "20260301120000123456-AbC-d_e=" and not arrival.complete
    (folder / "submission_secret.txt").write_text("")
    assert not arrival.complete  # nbgrader opened it but has not written the secret yet
    (folder / "submission_secret.txt").write_text("f" * 128)
    assert arrival.complete and arrival.secret() == "f" * 128
    assert Arrival.parse(tmp_path / "not-a-submission") is None
    assert Arrival.parse(tmp_path / "ann+ps1+2026-03-01 12:00:00 UTC").attempt_id == "20260301120000"
    from nbgrader.utils import notebook_hash

    assert feedback_key("s" * 128, "ps1") == notebook_hash(secret="s" * 128, notebook_id="ps1")


# --------------------------------------------------------------------------- a toy course with an exchange


class Toy:
    """A toy course released to an exchange (``base/course``, ``base/exchange``), and its
    students (nbgrader's exchange classes)."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.exchange = base / "exchange"
        self.course = Course(base / "course")
        self.attempts = AttemptStore(self.course.root)

    @classmethod
    def build(cls, base: Path) -> None:
        """Source, release/, gradebook and the exchange's outbound copy (LRLAB_EXCHANGE set)."""
        (base / "exchange").mkdir(parents=True)
        os.chmod(base / "exchange", 0o1777)
        root = base / "course"
        (root / "source" / A).mkdir(parents=True)
        shutil.copy(ROOT / "nbgrader_config.py", root)
        nbformat.write(toy_source(), root / "source" / A / f"{A}.ipynb")
        (root / "autograder" / "checks").mkdir(parents=True)
        (root / "autograder" / "checks" / "toy.py").write_text(f'REFERENCE = {{"square(3)": 9}}  # {CHECK_MARKER}\n')
        assert cli.main(["--course", str(root), "release", A]) == 0

    def grade_on_arrival(self, rules: dict) -> None:
        """Grade the toy on arrival with these rules (the course's configuration says so)."""
        with open(self.course.root / "nbgrader_config.py", "a") as fh:
            fh.write(f"\nc.CourseRules.assignments = {{{A!r}: {rules!r}}}\n")
        self.course = Course(self.course.root)

    def _app(self, cls, student: str):
        return student_app(cls, self.exchange, self.base / "homes" / student, "lrlab", student, A)

    def submit(self, student: str, body: str | None) -> None:
        """Fetch (once) and submit: ``body`` of square(x), or None for a folder without the notebook."""
        from nbgrader.exchange.default import ExchangeFetchAssignment, ExchangeSubmit

        work = self.base / "homes" / student / A
        if not work.exists():
            self._app(ExchangeFetchAssignment, student).start()
        notebook = work / f"{A}.ipynb"
        if body is None:
            notebook.unlink(missing_ok=True)
            (work / "answers.py").write_text("def square(x): return x * x\n")
        else:
            nb = nbformat.read(self.course.root / "release" / A / f"{A}.ipynb", as_version=4)
            answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
            answer.source = f"def square(x):\n    {body}"
            nbformat.write(nb, notebook)
        self._app(ExchangeSubmit, student).start()

    def fetch_feedback(self, student: str) -> dict[str, str]:
        """{submission timestamp: page text} as the student's Fetch Feedback gets them."""
        from nbgrader.exchange.default import ExchangeFetchFeedback

        self._app(ExchangeFetchFeedback, student).start()
        folder = self.base / "homes" / student / A / "feedback"
        return {p.parent.name: visible_text(p.read_text()) for p in sorted(folder.glob(f"*/{A}.html"))}

    def calls(self) -> list[str]:
        path = self.course.root / "calls.log"
        return path.read_text().split() if path.exists() else []

    def serve(self, **options) -> service.GradingService:
        options = {"workers": 1, "poll": 0.05, "once": True, **options}
        return service.GradingService(Course(self.course.root), service.ServeOptions(**options), tasks=FAKE_TASKS,
                                      log=lambda m: None)


@pytest.fixture(scope="module")
def toy_template(tmp_path_factory) -> Path:
    """The toy course and its exchange, released once for the module."""
    base = tmp_path_factory.mktemp("toy")
    saved = os.environ.get("LRLAB_EXCHANGE")
    os.environ["LRLAB_EXCHANGE"] = str(base / "exchange")
    try:
        Toy.build(base)
    finally:
        if saved is None:
            os.environ.pop("LRLAB_EXCHANGE")
        else:
            os.environ["LRLAB_EXCHANGE"] = saved
    return base


@pytest.fixture
def toy_course(toy_template, tmp_path, monkeypatch):
    """``make(**rules)``: a copy of the toy course graded on arrival with these rules, its exchange set."""

    def make(**rules) -> Toy:
        base = tmp_path / "toy"
        shutil.copytree(toy_template, base, symlinks=True)
        monkeypatch.setenv("LRLAB_EXCHANGE", str(base / "exchange"))
        toy = Toy(base)
        toy.grade_on_arrival(rules)
        return toy

    return make


# --------------------------------------------------------------------------- the test double

FAKE_TASKS = service.ArrivalTasks(grade=fake_grade, execute=fake_execute, warm=fake_warm)


def _gradebook(course: Course) -> dict[str, float]:
    with course.gradebook() as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(A)}


# --------------------------------------------------------------------------- the service


@pytest.mark.slow
def test_each_attempt_is_graded_once_and_its_feedback_released(toy_course):
    toy = toy_course(cooldown=0, attempts=2, feedback="checks")
    toy.submit("alice", "return x + x")  # wrong
    toy.submit("alice", "return x * x")  # corrected
    toy.submit("alice", "return x * x  # third")  # past the limit
    toy.submit("bob", "return x * x")
    toy.submit("carol", None)  # no notebook
    assert toy.serve().run() == 0

    records = {(r.student, r.number, r.refused) for r in toy.attempts.records()}
    assert records == {("alice", 1, ""), ("alice", 2, ""), ("alice", 0, Refusal.LIMIT), ("bob", 1, ""), ("carol", 1, "")}
    assert sorted(c.split("/")[0] for c in toy.calls()) == ["alice", "alice", "bob", "carol"]  # each once
    assert _gradebook(toy.course) == {"alice": 2.0, "bob": 2.0, "carol": 0.0}  # alice's last graded attempt counts
    main = store.read(toy.course.root, A, "alice")
    last = toy.attempts.outcome([r for r in toy.attempts.records(A, "alice") if r.number == 2][0])
    assert main.submission_hash == last.submission_hash == store.submission_hash(toy.course.path("submitted", "alice", A), A)

    pages = list(toy.fetch_feedback("alice").values())  # in submission order
    assert len(pages) == 3
    executed = [p for p in toy.attempts.root.glob(f"{A}/*/*/autograded/{A}.ipynb")]
    assert executed and all(SOURCE_MARKER in p.read_text() for p in executed)  # the executed notebooks hold it...
    for page in [*pages, *(p.read_text() for p in toy.attempts.root.glob(f"{A}/*/*/feedback/{A}.html"))]:
        assert SOURCE_MARKER not in page and CHECK_MARKER not in page  # ...no page shows it
        assert "BEGIN HIDDEN TESTS" not in page
    assert "Squares numbers" in pages[0] and "not passed" in pages[0] and "Checks passed: 0 of 1" in pages[0]
    assert "Checks passed: 1 of 1" in pages[1] and "Attempt 2 of 2" in pages[1]
    assert "square(3) returned" not in pages[0]  # "checks": names and pass/fail, no messages or points
    assert "you have used all 2 graded attempts for toy" in pages[2] and "Not graded" in pages[2]
    # nbgrader's Fetch Feedback looks for a page per notebook the submission holds: none here, so
    # the status page (and the attempt's page it links to) tells carol
    pages_of = StatusPages(Course(toy.course.root))
    assert not_graded(Reason.NOT_A_NOTEBOOK) in visible_text(pages_of.page("carol", A, "/s/"))
    (attempt,) = toy.attempts.records(A, "carol")
    assert not_graded(Reason.NOT_A_NOTEBOOK) in visible_text(pages_of.attempt_page("carol", A, attempt.attempt))
    assert pages_of.attempt_page("bob", A, attempt.attempt) is None  # another student's attempt: nothing

    status = pages_of.page("alice", A, "/services/lrlab-grader/")
    text = visible_text(status)
    assert "1 of 1 checks passed" in text and "0 of 1 checks passed" in text and "used all 2 graded attempts" in text
    assert status.count('class="attempt counts"') == 1 and 'http-equiv="refresh"' not in status
    assert (toy.course.root / "attempts").resolve() in Course(toy.course.root).instructor_paths()

    from autograder import export, report

    page = report.build(toy.course, A, store.read_all(toy.course.root, A))
    assert "Attempts (graded on arrival)" in page and "<td>0 → 2</td>" in page and "<td>1 past the attempt limit</td>" in page
    rows = {r["student"]: r for r in export.grade_rows(toy.course)}
    assert (rows["alice"]["attempts"], rows["alice"]["score"], rows["bob"]["attempts"]) == ("2", "2", "1")


@pytest.mark.slow
def test_a_burst_from_one_student_gets_cool_down_refusals_not_a_queue(toy_course):
    toy = toy_course(cooldown="1m", feedback="full")
    for i in range(30):
        toy.submit("mallory", "return x * x")
    for student in ("ann", "ben", "cid"):
        toy.submit(student, "return x * x")
    assert toy.serve().run() == 0
    mallory = toy.attempts.records(A, "mallory")
    assert [r.number for r in mallory if r.graded] == [1] and len(mallory) == 30
    assert all(r.refused == Refusal.COOLDOWN and "at least 1 minute apart" in r.message for r in mallory[1:])
    assert sorted(c.split("/")[0] for c in toy.calls()) == ["ann", "ben", "cid", "mallory"]
    pages = list(toy.fetch_feedback("mallory").values())
    assert len(pages) == 30 and "Autograded score: 2 / 2" in pages[0] and all("Submit again after" in p for p in pages[1:])


@pytest.mark.slow
def test_a_failure_of_the_grading_environment_is_retried_never_shown_as_the_students(toy_course, monkeypatch):
    toy = toy_course(cooldown=0)
    monkeypatch.setattr(service, "RETRY_AFTER", (0.2,))
    (toy.course.root / "grader_broken").write_text("")
    toy.submit("alice", "return x * x")
    lines: list[str] = []
    grading = toy.serve()
    grading.log = lines.append
    assert grading.run() == 0
    (record,) = toy.attempts.records(A, "alice")
    assert len(record.grader_errors) == 1 and "sandbox child setup failed" in record.grader_errors[0]
    assert toy.calls().count(f"alice/{record.attempt}") == 2 and toy.attempts.outcome(record).status == "graded"
    assert any(line.startswith("GRADER ERROR") and "not the student's fault" in line for line in lines)
    assert any("restarting the workers" in line for line in lines)
    (page,) = toy.fetch_feedback("alice").values()
    assert "Checks passed: 1 of 1" in page and "Not graded" not in page and not_graded(Reason.GRADER_ERROR) not in page


_SERVE = """
import sys
sys.path[:0] = [{root!r}]
from autograder.arrival import service
from autograder.course import Course
from tests.arrival_doubles import fake_execute, fake_grade, fake_warm
tasks = service.ArrivalTasks(grade=fake_grade, execute=fake_execute, warm=fake_warm)
sys.exit(service.GradingService(Course({course!r}), service.ServeOptions(workers=2, poll=0.05, once={once}),
                                tasks=tasks).run())
"""


@pytest.mark.slow
def test_kill_9_in_a_burst_then_every_submission_is_graded_exactly_once(toy_course):
    toy = toy_course(cooldown=0)
    students = [f"s{i:02d}" for i in range(16)]
    for student in students[:6]:
        toy.submit(student, "return x * x  # SLEEP")

    def start(once: bool) -> subprocess.Popen:
        script = _SERVE.format(root=str(ROOT), course=str(toy.course.root), once=once)
        return subprocess.Popen([sys.executable, "-c", script], start_new_session=True, env={**os.environ},
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    first = start(once=False)
    for student in students[6:12]:  # the burst goes on while it grades
        toy.submit(student, "return x * x  # SLEEP")
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and len(list(toy.attempts.root.glob("*/*/*/outcome.json"))) < 3:
        assert first.poll() is None, first.stderr.read()[-3000:]
        time.sleep(0.02)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    before = {p: p.read_bytes() for p in toy.attempts.root.glob("*/*/*/outcome.json")}
    assert 3 <= len(before) < 12, "the kill came too late or too early"
    calls_before = len(toy.calls())
    for student in students[12:]:  # arrives while the service is dead
        toy.submit(student, "return x * x  # SLEEP")

    second = start(once=True)
    assert second.wait(timeout=120) == 0, second.stderr.read()[-3000:]
    records = toy.attempts.records(A)
    assert sorted(r.student for r in records) == students  # every submission noticed, once
    outcomes = sorted(toy.attempts.root.glob("*/*/*/outcome.json"))
    assert len(outcomes) == 16 and all(before[p] == p.read_bytes() for p in before)  # nothing graded twice on record
    regraded = toy.calls()[calls_before:]
    assert sorted(c.split("/")[0] for c in regraded) == sorted(
        r.student for r in records if toy.attempts.folder(A, r.student, r.attempt) / "outcome.json" not in before)
    assert _gradebook(toy.course) == {s: 2.0 for s in students}
    assert all(r.released in ("scores", "full") for r in records)
    for student in students[::5]:
        (page,) = toy.fetch_feedback(student).values()
        assert "Checks passed: 1 of 1" in page


@pytest.mark.slow
def test_grade_force_regrades_every_attempt_and_chooses_again(toy_course):
    from autograder import grade
    from tests.test_pipeline import fake_grade_one

    toy = toy_course(cooldown=0, counts="best", feedback="full")
    toy.submit("alice", "return x + x")
    toy.submit("alice", "return x * x")
    assert toy.serve(execute=False).run() == 0
    assert _gradebook(toy.course) == {"alice": 2.0}
    first, second = toy.attempts.records(A, "alice")
    (toy.course.root / "checks_changed").write_text("")
    course = Course(toy.course.root)
    summary = grade.run(course, A, grade.GradeOptions(force=True, workers=1, progress=False),
                        tasks=grade.Tasks(grade=fake_grade_one, grade_at=fake_grade), log=lambda m: None)
    assert not summary.stopped
    assert [toy.attempts.outcome(r).score for r in (first, second)] == [2.0, 0.0]
    assert _gradebook(course) == {"alice": 2.0}  # now the first attempt is the best one
    assert store.read(course.root, A, "alice").submission_hash == toy.attempts.outcome(first).submission_hash
    pages = list(toy.fetch_feedback("alice").values())
    assert "Autograded score: 2 / 2" in pages[0] and "Autograded score: 0 / 2" in pages[1]


@pytest.mark.slow
def test_collect_keeps_the_counting_attempt_and_collects_the_others(toy_course):
    toy = toy_course(cooldown=0)
    toy.submit("alice", "return x * x")
    assert toy.serve(execute=False).run() == 0
    counted = (toy.course.path("submitted", "alice", A) / f"{A}.ipynb").read_bytes()
    toy.submit("alice", "return x + x")  # not graded yet (say, after grading on arrival closed)
    toy.submit("bob", "return x * x")  # never graded on arrival
    assert cli.main(["--course", str(toy.course.root), "collect", A]) == 0
    assert (toy.course.path("submitted", "alice", A) / f"{A}.ipynb").read_bytes() == counted
    assert (toy.course.path("submitted", "bob", A) / f"{A}.ipynb").is_file()


# --------------------------------------------------------------------------- the release header


def test_the_release_states_the_rules_first(toy_course):
    toy = toy_course(attempts=3, cooldown="5m", counts="best", due="2026-03-02 17:00:00 UTC")
    assert cli.main(["--course", str(toy.course.root), "release", A]) == 0
    nb = nbformat.read(toy.course.root / "release" / A / f"{A}.ipynb", as_version=4)
    header = nb.cells[0]
    assert header.id == "lrlab-grading-rules" and header.metadata["editable"] is False
    for said in ("You have 3 graded attempts, at least 5 minutes apart", "Your best graded attempt counts.",
                 "Due 2026-03-02 17:00 UTC", "a late submission loses no points", "/services/lrlab-grader/toy",
                 "Written answers are graded by your instructor"):
        assert said in header.source, said
    again = toy.course.api().generate_assignment(A, force=True, create=True)  # plain nbgrader: the same release
    assert again["success"] and nbformat.read(toy.course.root / "release" / A / f"{A}.ipynb", as_version=4) == nb
    with toy.course.gradebook() as gb:
        assert gb.find_assignment(A).duedate == datetime(2026, 3, 2, 17)  # the due date nbgrader's tools see


def test_an_assignment_not_graded_on_arrival_gets_no_header():
    nb = nbformat.read(ROOT / "release" / "ps3_tuning" / "ps3_tuning.ipynb", as_version=4)
    assert nb.cells[0].get("id") != "lrlab-grading-rules"
    nb = nbformat.read(ROOT / "release" / "ps1_schedulers" / "ps1_schedulers.ipynb", as_version=4)
    assert nb.cells[0].id == "lrlab-grading-rules" and "No deadline is set yet." in nb.cells[0].source
