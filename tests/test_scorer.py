"""autograder.grading.scorer against fake sandboxes (trusted code only; the real sandbox is in
tests/test_redteam.py)."""
from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell

from autograder.assignments import Assignment
from autograder.checks import Check, CheckResult, LocalStudent, StudentUnavailable, close
from autograder.checks.reference import run_program
from autograder.grading.scorer import VOID_PREFIX, score_report
from autograder.harness import Harness
from autograder.protocol import CellTimedOut
from autograder.reasons import Reason
from autograder.sandbox import Level, Part

from tests.inprocess import InProcessSandbox
from tests.test_validate import cell_by, release_nb, submission


def check_f(student, rng):
    cases = [rng.randint(-50, 50) for _ in range(5)]
    got = student.call_many("f", [([x], {}) for x in cases])
    ok = sum(close(v, 2.0 * x) for v, x in zip(got, cases))
    return CheckResult(ok / len(cases), () if ok == len(cases) else ("f is wrong for some inputs.",), basics_ok=close(got[0], 2.0 * cases[0]))


def check_g(student, rng):
    value = student.call("g", 3)
    return CheckResult(1.0 if close(value, 9.0) else 0.0, basics_ok=close(value, 9.0))


CHECKS = {
    "test_f": Check("test_f", 2.0, "f doubles", check_f, answer_cells=("f_answer",), forbidden=frozenset({"StepLR"})),
    "test_g": Check("test_g", 3.0, "g squares", check_g, answer_cells=("g_answer",)),
}
GOOD = {"f_answer": "def f(x):\n    return 2 * x", "g_answer": "def g(x):\n    return x ** 2"}


def demo(checks: dict = CHECKS) -> Assignment:
    """The demo assignment; its harness wires StepLR, which its checks forbid."""
    return Assignment(name="ps_demo", checks=tuple(checks.values()),
                      harness=Harness(tripwires={"torch.optim.lr_scheduler": {"StepLR"}}))


def score(nb, box, checks: dict = CHECKS):
    """(per-check scores, flags) of one submission of the demo assignment."""
    report = score_report(demo(checks), release_nb(), nb, box)
    return report.checks, report.flags


class TrustedFakeSandbox:
    """Runs the (test-authored, trusted) program in-process: for scorer logic only."""

    def __init__(self):
        self.programs = []

    def load(self, program):
        self.programs.append(program)
        return LocalStudent(run_program(program))


class DyingWorker:
    def __init__(self, inner, die_on):
        self.inner, self.die_on, self.closed = inner, die_on, False

    def __getattr__(self, name):
        attr = getattr(self.inner, name)
        if name in ("call", "call_many"):
            def guarded(fn_name, *a, **k):
                if fn_name in self.die_on:
                    raise StudentUnavailable(Reason.TIMEOUT)
                return attr(fn_name, *a, **k)
            return guarded
        return attr

    def close(self):
        self.closed = True


class DyingSandbox(TrustedFakeSandbox):
    def __init__(self, die_on=(), dead_at_load=None):
        super().__init__()
        self.die_on, self.dead_at_load, self.workers = die_on, dead_at_load, []

    def load(self, program):
        if self.dead_at_load:
            raise StudentUnavailable(self.dead_at_load)
        w = DyingWorker(super().load(program), self.die_on)
        self.workers.append(w)
        return w


def test_full_marks_and_program_shape():
    box = TrustedFakeSandbox()
    checks, flags = score(submission(GOOD), box, CHECKS)
    assert [(c.grade_id, c.score) for c in checks] == [("test_f", 2.0), ("test_g", 3.0)]
    assert flags == []
    # the trusted setup cells, then only the answer cells (no test cell ever enters the worker)
    assert [label for label, _ in box.programs[0]] == ["setup:1", "f_answer", "g_answer"]


def test_partial_and_wrong():
    # right on its first call only (the case the visible assert mirrors), whatever the cases
    answers = {**GOOD, "f_answer": "calls = []\ndef f(x):\n    calls.append(x)\n    return 2 * x if len(calls) == 1 else 0"}
    checks, _ = score(submission(answers), TrustedFakeSandbox(), CHECKS)
    assert 0 < checks[0].score < 2.0 and checks[1].score == 3.0


def test_cases_come_from_the_assignment_seed_never_the_student():
    """Every submission gets the same cases (one partially right answer, one score); the
    assignment's ``case_seed`` decides them, and another seed draws other cases."""
    answers = {**GOOD, "f_answer": "def f(x):\n    return 2 * x if x % 2 else 0"}
    first = score(submission(answers), TrustedFakeSandbox(), CHECKS)[0][0].score
    again = score(submission(answers), TrustedFakeSandbox(), CHECKS)[0][0].score
    assert first == again
    reseeded = Assignment(name="ps_demo", checks=tuple(CHECKS.values()), case_seed=1)
    assert reseeded.seed_for("test_f") != demo().seed_for("test_f") != demo().seed_for("test_g")
    assert demo().seed_for("test_f") == Assignment(name="ps_demo", checks=tuple(CHECKS.values())).seed_for("test_f")


def test_forbidden_voids_statically():
    answers = {**GOOD, "f_answer": "from torch.optim.lr_scheduler import StepLR\ndef f(x):\n    return 2 * x"}
    checks, flags = score(submission(answers), TrustedFakeSandbox(), CHECKS)
    assert checks[0].score == 0 and checks[0].message.startswith(VOID_PREFIX) and "StepLR" in checks[0].message
    assert checks[1].score == 3.0
    assert flags == ["forbidden API in test_f: StepLR"]


def test_unavailable_costs_only_the_calling_check_then_rest():
    box = DyingSandbox(die_on=("f",))
    report = score_report(demo(CHECKS), release_nb(), submission(GOOD), box)
    f, g = report.checks
    assert f.score == 0 and f.reason is Reason.TIMEOUT and "time limit" in f.message
    assert g.score == 3.0  # a fresh worker answered the next check
    assert report.children_started == 2 and all(w.closed for w in box.workers)
    assert not report.all_unavailable


def test_unavailable_twice_zeroes_the_rest():
    box = DyingSandbox(die_on=("f", "g"))
    report = score_report(demo(CHECKS), release_nb(), submission(GOOD), box)
    assert [c.score for c in report.checks] == [0, 0]
    assert report.all_unavailable and report.unavailable == [Reason.TIMEOUT] * 2


def test_every_check_that_loses_its_child_costs_only_itself():
    """Two checks whose calls time out, then an honest one: it gets a fresh child of its own."""
    checks = {"test_f": CHECKS["test_f"], "test_f_again": Check("test_f_again", 1.0, "f again", check_f, ("f_answer",)),
              "test_g": CHECKS["test_g"]}
    report = score_report(demo(checks), release_nb(), submission(GOOD), DyingSandbox(die_on=("f",)))
    assert [c.score for c in report.checks] == [0, 0, 3.0] and report.children_started == 3
    assert not report.all_unavailable


class SlowCellSandbox(TrustedFakeSandbox):
    """Loading stops at every cell whose source says SLOW, as the real sandbox stops a cell
    that runs past its limit."""

    def load(self, program):
        self.programs.append(program)
        slow = next((label for label, source in program if "SLOW" in source), None)
        if slow is not None:
            raise CellTimedOut(slow, 30)
        return LocalStudent(run_program(program))


def test_a_cell_past_its_limit_costs_only_the_checks_that_need_it():
    answers = {**GOOD, "f_answer": "SLOW = [x for x in range(10**12)]\ndef f(x):\n    return 2 * x"}
    box = SlowCellSandbox()
    report = score_report(demo(CHECKS), release_nb(), submission(answers), box)
    f, g = report.checks
    assert f.score == 0 and "Cell f_answer raised TimeoutError: it ran longer than 30 s" in f.message
    assert g.score == 3.0 and f.reason is None and not report.all_unavailable
    assert [[label for label, _ in program] for program in box.programs] == [
        ["setup:1", "f_answer", "g_answer"], ["setup:1", "g_answer"]]
    assert report.flags == ["answer cell f_answer stopped at its time limit and left out"]


def test_dead_at_load():
    box = DyingSandbox(dead_at_load=Reason.MEMORY)
    report = score_report(demo(CHECKS), release_nb(), submission(GOOD), box)
    assert report.all_unavailable and all(c.reason is Reason.MEMORY and "more memory" in c.message for c in report.checks)


def test_check_bug_is_contained():
    def broken(student, rng):
        raise TypeError("boom")

    checks = {**CHECKS, "test_g": Check("test_g", 3.0, "g", broken, answer_cells=("g_answer",))}
    got, flags = score(submission(GOOD), TrustedFakeSandbox(), checks)
    assert got[1].score == 0 and "could not evaluate" in got[1].message
    assert flags == ["scorer error in test_g: TypeError"]


def test_missing_answer_is_explained():
    nb = submission(GOOD)
    nb.cells.remove(cell_by(nb, "g_answer"))
    checks, _ = score(nb, TrustedFakeSandbox(), CHECKS)
    assert checks[1].score == 0 and "g_answer is missing" in checks[1].message


def test_extra_cells_never_reach_the_worker():
    nb = submission(GOOD)
    nb.cells.append(new_code_cell("import os; os.system('echo pwned')"))
    box = TrustedFakeSandbox()
    score(nb, box, CHECKS)
    assert all("pwned" not in src for _, src in box.programs[0])


USES_STEPLR_AT_RUN_TIME = (
    "import importlib\n"
    "import torch\n"
    "def f(x):\n"
    "    made = getattr(importlib.import_module('torch.optim.lr_' + 'scheduler'), 'Step' + 'LR')\n"
    "    made(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), 1)\n"
    "    return 2 * x"
)


def test_a_name_built_at_run_time_trips_the_wire():
    """getattr(lr_scheduler, "Step" + "LR") is invisible to the static check; the tripwire,
    armed before the answers run, records which answer cell ran StepLR's code."""
    answers = {**GOOD, "f_answer": USES_STEPLR_AT_RUN_TIME}
    report = score_report(demo(CHECKS), release_nb(), submission(answers), InProcessSandbox())
    f, g = report.checks
    assert f.score == 0 and f.message.startswith(VOID_PREFIX) and "StepLR (found while it ran)" in f.message
    assert g.score == 3.0
    assert report.flags == ["forbidden API at run time in test_f: StepLR"]


def test_a_forbidden_name_voids_only_the_check_whose_own_answer_uses_it():
    """test_g depends on f_answer (its check calls f) but only g_answer is its own answer."""
    def check_g_uses_f(student, rng):
        ok = close(student.call("g", 3), 9.0) and close(student.call("f", 3), 6.0)
        return CheckResult(1.0 if ok else 0.0)

    checks = {
        **CHECKS,
        "test_g": Check("test_g", 3.0, "g squares", check_g_uses_f, answer_cells=("f_answer", "g_answer"),
                        forbidden=frozenset({"StepLR"}), own_cells=("g_answer",)),
    }
    static = {**GOOD, "f_answer": "from torch.optim.lr_scheduler import StepLR\ndef f(x):\n    return 2 * x"}
    for answers in (static, {**GOOD, "f_answer": USES_STEPLR_AT_RUN_TIME}):
        got = score_report(demo(checks), release_nb(), submission(answers), InProcessSandbox()).checks
        assert [(c.grade_id, c.score) for c in got] == [("test_f", 0.0), ("test_g", 3.0)]


def test_a_disarmed_wire_voids_every_check_that_forbids_and_is_flagged():
    """Restoring the originals from the wrappers switches the wire off: the probe notices."""
    disarm = (
        "import torch.optim.lr_scheduler as _s\n"
        "for _cls in vars(_s).values():\n"
        "    if isinstance(_cls, type):\n"
        "        for _name, _fn in list(vars(_cls).items()):\n"
        "            if 'value' in getattr(getattr(_fn, '__code__', None), 'co_freevars', ()):\n"
        "                setattr(_cls, _name, _fn.__closure__[_fn.__code__.co_freevars.index('value')].cell_contents)\n"
    )
    answers = {**GOOD, "f_answer": disarm + USES_STEPLR_AT_RUN_TIME}
    report = score_report(demo(CHECKS), release_nb(), submission(answers), InProcessSandbox())
    f, g = report.checks
    assert f.score == 0 and "switched off" in f.message and not f.basics_ok
    assert g.score == 3.0  # forbids nothing: untouched
    assert "the forbidden-scheduler tripwire was disarmed in the worker (suspected tampering)" in report.flags


def test_honest_answers_leave_the_wire_quiet_and_undone():
    from torch.optim.lr_scheduler import StepLR

    original = vars(StepLR)["__init__"]
    report = score_report(demo(CHECKS), release_nb(), submission(GOOD), InProcessSandbox())
    assert [c.score for c in report.checks] == [2.0, 3.0] and report.flags == []
    assert vars(StepLR)["__init__"] is original


# --------------------------------------------------------------------------- the task, with fakes


def FakeExec(notebook, errors=None):
    from autograder.sandbox import ExecResult

    return ExecResult(notebook, None, errors or [False] * len(notebook.cells))


class FakeSandbox(TrustedFakeSandbox):
    isolation = type("Iso", (), {"level": Level(frozenset({Part.MOUNTNS, Part.UID}))})()  # hides the course, keeps students apart

    def __init__(self, *args, kernel_says_pass=True):
        super().__init__()
        self.kernel_says_pass = kernel_says_pass
        self.executed = []

    def execute_notebook(self, nb, cell_timeout, total_timeout, files=None):
        import copy

        self.executed.append(nb)
        out = copy.deepcopy(nb)
        for i, cell in enumerate(out.cells):
            if cell.cell_type == "code":
                cell.execution_count = i
        return FakeExec(out)

    def close(self):
        pass


@pytest.fixture()
def demo_course(tmp_path, graded_with):
    import nbformat

    (tmp_path / "release" / "ps_demo").mkdir(parents=True)
    nbformat.write(release_nb(), tmp_path / "release" / "ps_demo" / "ps_demo.ipynb")
    (tmp_path / "release" / "ps_demo" / "data.json").write_text("[1, 2]")
    graded_with(CHECKS)
    return tmp_path


def _submit(root, student, nb=None, raw=None):
    import nbformat

    folder = root / "submitted" / student / "ps_demo"
    folder.mkdir(parents=True)
    if raw is not None:
        (folder / "ps_demo.ipynb").write_bytes(raw)
    else:
        nbformat.write(nb, folder / "ps_demo.ipynb")


def test_grader_end_to_end_with_fakes(demo_course, trusted_assignment):
    import dataclasses

    from autograder.grading.worker import Grader

    box = FakeSandbox()
    nb = submission(GOOD)
    cell_by(nb, "test_f").metadata["tags"] = ["skip-execution"]
    _submit(demo_course, "alice", nb)
    _submit(demo_course, "bob", raw=b"not json")
    assignment = trusted_assignment(demo_course)
    with Grader(sandbox_factory=lambda root: box) as grader:
        alice = grader.grade(assignment, "alice", execute=True)
        bob = grader.grade(assignment, "bob")
        nobody = grader.grade(assignment, "nobody")
        evil = grader.grade(assignment, "../alice")
        unknown = grader.grade(dataclasses.replace(assignment, name="ps9"), "alice")
    assert alice.status == "graded", alice.detail
    assert alice.score == 5.0 and alice.isolation == "mountns+uid"
    assert alice.flags == ["test cell 'test_f' tagged skip-execution"]
    assert all(c.kernel_passed is True for c in alice.checks)
    assert set(alice.seconds) >= {"validate", "score", "execute", "total"} and len(alice.submission_hash) == 64
    # the kernel ran the restored notebook: no tags, trusted test source, student's answers
    ran = box.executed[0]
    assert "tags" not in cell_by(ran, "test_f").metadata and cell_by(ran, "f_answer").source == GOOD["f_answer"]
    assert (demo_course / "autograded" / "alice" / "ps_demo" / "ps_demo.ipynb").is_file()
    assert (bob.status, bob.reason) == ("failed", "not_a_notebook") and bob.detail
    assert (nobody.status, nobody.reason) == ("failed", "not_a_notebook")
    assert evil.status == "failed" and unknown.reason == "wrong_assignment"
    assert len(box.programs) == 1  # only alice's answers ever reached a worker


def test_environment_failures_are_grader_errors_never_the_students(demo_course, trusted_assignment):
    """A child the sandbox cannot isolate, or a sandbox below the required level: the
    outcome is ``grader_error`` with the instructor's reason, and no answer reached a worker."""
    from autograder.grading.worker import Grader, IsolationDemand
    from autograder.sandbox import SandboxBroken

    class BrokenSandbox(FakeSandbox):
        def load(self, program):
            raise SandboxBroken("sandbox child setup failed: FileNotFoundError: simulated")

    _submit(demo_course, "alice", submission(GOOD))
    assignment = trusted_assignment(demo_course)
    with Grader(sandbox_factory=lambda root: BrokenSandbox()) as grader:
        broken = grader.grade(assignment, "alice")
    assert (broken.status, broken.reason) == ("failed", "grader_error") and broken.checks == []
    assert broken.flags == ["grader error: sandbox child setup failed: FileNotFoundError: simulated"]
    box = FakeSandbox()
    box.isolation = type("Iso", (), {"level": Level.parse("uid+seccomp+rlimits")})()
    with Grader(sandbox_factory=lambda root: box) as grader:
        grader.isolation = IsolationDemand(Level.parse("netns+mountns+uid"))
        refused = grader.grade(assignment, "alice")
        # no mountns: the course would be refused otherwise (next test)
        grader.isolation = IsolationDemand(Level.parse("uid+seccomp"), allow_weak=True)
        allowed = grader.grade(assignment, "alice")
    assert (refused.status, refused.reason) == ("failed", "grader_error")
    assert refused.flags == ["grader error: the sandbox reached isolation uid+seccomp+rlimits, below the required "
                             "netns+mountns+uid (missing netns+mountns)"]
    assert allowed.status == "graded" and len(box.programs) == 1  # nothing ran below the requirement
    with pytest.raises(ValueError, match="unknown isolation part"):
        Level.parse("netns+mountnss")


def test_a_level_that_hides_no_file_is_refused_unless_allowed(demo_course, trusted_assignment):
    """No mount namespace, no Landlock, and the course readable by others: a grader_error
    before any answer reaches a worker, with the one line that says why and how to fix it;
    allowing weak isolation grades all the same."""
    from autograder.grading.worker import Grader, IsolationDemand

    _submit(demo_course, "alice", submission(GOOD))
    assignment = trusted_assignment(demo_course)
    for level, who in (("uid+seccomp+memcg+rlimits", "each child has a uid of its own, but others may open"),
                       ("seccomp+rlimits", "each child runs as the grader's own user and may read and write")):
        box = FakeSandbox()
        box.isolation = type("Iso", (), {"level": Level.parse(level)})()
        with Grader(sandbox_factory=lambda root: box) as grader:
            refused = grader.grade(assignment, "alice")
            grader.isolation = IsolationDemand(allow_weak=True)
            allowed = grader.grade(assignment, "alice")
        assert (refused.status, refused.reason) == ("failed", "grader_error") and refused.checks == []
        [flag] = refused.flags
        assert flag.startswith(f"grader error: isolation {level} hides no file (no mount namespace, no Landlock): {who} /")
        assert flag.endswith("or accept the risk with --allow-weak-isolation")
        assert allowed.status == "graded" and allowed.score == 5.0 and len(box.programs) == 1


def test_scores_come_first_and_the_feedback_pass_adds_the_kernel_verdicts(demo_course, trusted_assignment):
    from autograder.grading.worker import Grader

    _submit(demo_course, "alice", submission(GOOD))
    box = FakeSandbox()
    with Grader(sandbox_factory=lambda root: box) as grader:
        scored = grader.grade(trusted_assignment(demo_course), "alice")
        assert box.executed == [] and "execute" not in scored.seconds
        assert all(c.kernel_passed is None for c in scored.checks)
        done = grader.execute_graded(trusted_assignment(demo_course), scored)
    assert [c.score for c in done.checks] == [2.0, 3.0] and all(c.kernel_passed for c in done.checks)
    assert len(box.executed) == 1 and (demo_course / "autograded" / "alice" / "ps_demo" / "ps_demo.ipynb").is_file()


def test_the_feedback_pass_never_runs_a_submission_changed_since_its_scores(demo_course, trusted_assignment):
    from autograder.grading.worker import Grader

    _submit(demo_course, "erin", submission(GOOD))
    box = FakeSandbox()
    with Grader(sandbox_factory=lambda root: box) as grader:
        scored = grader.grade(trusted_assignment(demo_course), "erin")
        (demo_course / "submitted" / "erin" / "ps_demo" / "ps_demo.ipynb").write_text("{}")
        done = grader.execute_graded(trusted_assignment(demo_course), scored)
    assert box.executed == [] and [c.score for c in done.checks] == [2.0, 3.0]
    assert done.flags == ["feedback run skipped: the submission changed since it was graded"]


def test_kernel_pass_scorer_fail_is_flagged(demo_course, trusted_assignment):
    from autograder.grading.worker import Grader

    answers = {**GOOD, "f_answer": "def f(x):\n    return 0"}
    _submit(demo_course, "mallory", submission(answers))
    with Grader(sandbox_factory=lambda root: FakeSandbox()) as grader:
        out = grader.grade(trusted_assignment(demo_course), "mallory", execute=True)
    assert out.status == "graded"
    assert "test_f passed in the kernel but failed in the scorer (suspected tampering)" in out.flags


def test_a_sandbox_that_cannot_start_is_the_graders_error(demo_course, trusted_assignment, monkeypatch):
    import json

    import autograder.grading.worker as worker

    def boom(root):
        raise RuntimeError("no sandbox here")

    monkeypatch.setattr(worker, "_GRADER", worker.Grader(sandbox_factory=boom))
    _submit(demo_course, "carol", submission(GOOD))
    result = worker.grade_one(worker.GradingJob(trusted_assignment(demo_course)), "carol")
    json.dumps(result)
    assert result["status"] == "failed" and result["reason"] == "grader_error"
    assert any("no sandbox here" in f for f in result["flags"]) and "no sandbox" not in result["detail"]


def test_a_grader_bug_is_a_crash_never_a_zero(demo_course, trusted_assignment, monkeypatch):
    import autograder.grading.steps as steps
    import autograder.grading.worker as worker

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(steps, "score_report", broken)
    _submit(demo_course, "dave", submission(GOOD))
    with worker.Grader(sandbox_factory=lambda root: FakeSandbox()) as grader:
        out = grader.grade(trusted_assignment(demo_course), "dave")
    assert (out.status, out.reason) == ("failed", "crash") and any("KeyError" in f for f in out.flags)
