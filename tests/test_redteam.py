"""Red-team suite: hostile submissions for ps1, ps2 and ps3 against the real grader.

Every hostile submission is graded by ONE warm :class:`autograder.grading.worker.Grader` (one sandbox
for the whole module) on a temporary course copy holding planted secrets ("canaries"):
in ``source/`` (a hidden test), in a fresh nbgrader gradebook (the same hidden test, as
nbgrader stores it), in ``autograder/``, in another student's submission, autograded
notebook and feedback, and in this process's environment. For every submission:

* exactly one Outcome comes back (the batch goes on), failed ones with a reason and a
  student-safe detail;
* no check scores more than the honest baseline with the same real answers;
* no canary appears in the outcome or the autograded notebook, and every course file
  outside this student's own folders is byte-for-byte unchanged (and no file is added);
* no process of this run's sandbox uid block survives (other graders' blocks, say another
  xdist worker's, are theirs);
* a tampering flag is recorded where the attack is detectable.

Answer-set fixtures are in the ``autograder.submissions`` format. Each attack's hostile code
is written once, as a template ``tests/redteam/attacks/<attack>.py`` that every assignment
uses; ``tests/redteam/<assignment>/<name>.py`` holds the honest baselines and the attacks that
really differ per assignment (and wins over a template of the same name). In them:

* ``{BASE}``: the honest baseline the attack is compared with (its ``variant-of`` parent);
* ``{CELL}``: the grade id of the answer cell it targets (of the attacked check, or
  ``LOAD_CELL`` for whole-submission failures);
* ``{ATTACK}``: in an assignment's own file, the code of the template's answer cell;
* ``{PARENT}``: the parent answer set's source of the same cell (the baseline's function),
  ``{DEF}``: its ``def`` line (the function's signature);
* ``{COURSE}``, ``{PORT}``: the course root and a loopback port.

A ``variant-of`` parent is looked up in ``tests/redteam/<assignment>/``, then in the sample
bank. Raw notebook manipulations (family 9) are written in code below.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
import secrets
import shutil
import socket
import time
from pathlib import Path

import nbformat
import pytest

from autograder import assignments as registry
from autograder.outcome import Outcome
from autograder.reasons import Reason
from autograder.submissions import fill, parse_answers, release_notebook

ROOT = Path(__file__).resolve().parents[1]
REDTEAM = Path(__file__).resolve().parent / "redteam"
PS1, PS2, PS3 = "ps1_schedulers", "ps2_diagnosing_curves", "ps3_tuning"
VICTIM = "victim"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def load_checks(assignment: str) -> dict:
    """The checks of ``assignment`` by grade id."""
    return registry.get(assignment).checks_by_id


def _available(assignment: str) -> str | None:
    """Why an assignment cannot be red-teamed yet (None when it can)."""
    if not (ROOT / "release" / assignment / f"{assignment}.ipynb").is_file():
        return f"release/{assignment} not generated yet"
    if not (registry.samples(assignment) / "correct.py").is_file():
        return f"no correct answer set for {assignment}"
    try:
        load_checks(assignment)
    except Exception as exc:  # noqa: BLE001
        return f"checks for {assignment} not loadable: {exc}"
    return None


def assignments(*names: str) -> list:
    return [
        pytest.param(a, marks=pytest.mark.skipif(bool(_available(a)), reason=str(_available(a)))) for a in names
    ]


# --------------------------------------------------------------------------- answer sets


ATTACK_TEMPLATES = REDTEAM / "attacks"
# The answer cell that whole-submission failures (FATAL) and never-ending cells (SLOW_LOAD) replace:
# their code runs while it loads.
LOAD_CELL = {PS1: "gd_regime_answer", PS2: "figures_answer", PS3: "tuning_loop_answer"}


def _template(name: str, base: str, cell: str | None) -> str:
    text = (ATTACK_TEMPLATES / f"{name}.py").read_text()
    if cell is None and "{CELL}" in text:
        raise ValueError(f"attack {name!r} needs the answer cell it targets")
    return text.replace("{BASE}", base).replace("{CELL}", cell or "")


def redteam_answers(assignment: str, name: str, subst: dict[str, str] | None = None, *, base: str = "correct",
                    cell: str | None = None) -> dict[str, str]:
    """A red-team answer set for ``assignment``: its own file, else the attack template filled in
    with ``base`` and ``cell``, else a sample (parents resolved in tests/redteam, then the bank)."""
    path = REDTEAM / assignment / f"{name}.py"
    if path.is_file():
        text = path.read_text()
        if "{ATTACK}" in text:
            (shared,) = parse_answers(_template(name, base, cell or "attack"))[1].values()
            text = text.replace("{ATTACK}", shared)
    elif (ATTACK_TEMPLATES / f"{name}.py").is_file():
        text = _template(name, base, cell)
    else:
        text = (registry.samples(assignment) / f"{name}.py").read_text()
    parent, own = parse_answers(text)
    inherited = redteam_answers(assignment, parent) if parent else {}
    for gid, source in own.items():
        if "{DEF}" in source:
            source = source.replace("{DEF}", next(x for x in inherited[gid].splitlines() if x.startswith("def ")))
        own[gid] = source.replace("{PARENT}", inherited[gid]) if "{PARENT}" in source else source
    merged = {**inherited, **own}
    for key, value in (subst or {}).items():
        merged = {g: s.replace(key, value) for g, s in merged.items()}
    return merged


# --------------------------------------------------------------------------- the course


class Course:
    def __init__(self, root: Path, canary: str) -> None:
        self.root = root
        self.canary = canary
        self.baseline: dict[str, dict[str, float]] = {}
        self._trusted: dict = {}
        self.sandbox_uids: range | None = None  # the uid block the grader's sandbox locked

    def trusted(self, assignment: str):
        """The frozen trusted assignment, built once as the grading coordinator does."""
        from autograder.course import Course as NbgraderCourse
        from autograder.grading.trusted import load_assignment

        if assignment not in self._trusted:
            self._trusted[assignment] = load_assignment(NbgraderCourse(self.root), assignment)
        return self._trusted[assignment]

    def snapshot(self) -> dict[str, tuple[str, int]]:
        """sha256 and mode of every course file outside the attackers' own folders."""
        out = {}
        for path in sorted(self.root.rglob("*")):
            rel = path.relative_to(self.root)
            parts = rel.parts
            if parts[0] in ("submitted", "autograded") and len(parts) > 1 and parts[1] != VICTIM:
                continue
            if path.is_symlink() or not path.is_file():
                out[str(rel)] = ("dir" if path.is_dir() else "other", path.lstat().st_mode)
                continue
            out[str(rel)] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mode)
        return out

    def submit(self, assignment: str, student: str, notebook=None, raw: bytes | None = None) -> Path:
        folder = self.root / "submitted" / student / assignment
        if folder.exists():
            shutil.rmtree(folder)
        shutil.rmtree(self.root / "autograded" / student / assignment, ignore_errors=True)
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")
        target = folder / f"{assignment}.ipynb"
        if raw is not None:
            target.write_bytes(raw)
        elif notebook is not None:
            nbformat.write(notebook, target)
        return folder


def _plant_hidden_test(nb, canary: str) -> None:
    """Put a canary into every grade cell's hidden-test block (as the instructor's source)."""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution") and cell.cell_type == "code":
            if "### END HIDDEN TESTS" in cell.source:
                cell.source = cell.source.replace("### END HIDDEN TESTS", f"# {canary}\n### END HIDDEN TESTS")
            else:
                cell.source += f"\n### BEGIN HIDDEN TESTS\n# {canary}\n### END HIDDEN TESTS"


def _make_gradebook(root: Path, assignment: str, canary: str) -> None:
    """A fresh nbgrader gradebook for ``assignment`` as generate_assignment records it: grade
    and solution cells, source cells (test cells WITH their hidden tests), the kernelspec."""
    from sqlalchemy import text

    from nbgrader.api import Gradebook
    from nbgrader.utils import compute_checksum, is_grade, is_locked, is_solution

    nb = release_notebook(assignment, root)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id="lrlab") as gb:
        gb.db.execute(text("PRAGMA synchronous=OFF"))
        gb.update_or_create_assignment(assignment)
        gb.add_notebook(assignment, assignment, kernelspec=json.dumps(nb.metadata.get("kernelspec", {})))
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader")
            if not meta or not (is_grade(cell) or is_solution(cell) or is_locked(cell)):
                continue
            gid = meta["grade_id"]
            if is_grade(cell):
                gb.add_grade_cell(gid, assignment, assignment, max_score=float(meta["points"]), cell_type=cell.cell_type)
            if is_solution(cell):
                gb.add_solution_cell(gid, assignment, assignment)
            stored = copy.deepcopy(cell)
            if is_grade(cell) and not is_solution(cell):
                stored.source += f"\n### BEGIN HIDDEN TESTS\n# {canary}\n### END HIDDEN TESTS"
            gb.add_source_cell(gid, assignment, assignment, cell_type=cell.cell_type, locked=bool(is_locked(cell)),
                               source=stored.source, checksum=compute_checksum(stored))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    canary = f"CANARY-{secrets.token_hex(12)}"
    shutil.copy(ROOT / "nbgrader_config.py", root)
    for folder in ("release", "source"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, root / folder)
    ready = [a for a in registry.names() if not _available(a)]
    for assignment in ready:
        src = root / "source" / assignment / f"{assignment}.ipynb"
        if src.is_file():
            nb = nbformat.read(src, as_version=4)
            _plant_hidden_test(nb, canary)
            nbformat.write(nb, src)
        _make_gradebook(root, assignment, canary)
        # Another student's work, graded notebook and feedback.
        victim = fill(release_notebook(assignment, root), {})
        victim.cells.append(nbformat.v4.new_markdown_cell(f"my private notes {canary}"))
        for kind in ("submitted", "autograded"):
            folder = root / kind / VICTIM / assignment
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(victim, folder / f"{assignment}.ipynb")
        (root / "feedback" / VICTIM / assignment).mkdir(parents=True, exist_ok=True)
        (root / "feedback" / VICTIM / assignment / f"{assignment}.html").write_text(f"<p>{canary}</p>")
    (root / "autograder").mkdir()
    (root / "autograder" / "references.txt").write_text(f"hidden references {canary}\n")
    os.environ["LRLAB_REDTEAM_SECRET"] = canary  # the grading process's environment
    try:
        yield Course(root, canary)
    finally:
        os.environ.pop("LRLAB_REDTEAM_SECRET", None)


@pytest.fixture(scope="module")
def grader(course):
    from autograder.grading.worker import Grader
    from autograder.sandbox import Limits

    limits = Limits(cell_seconds=30, call_seconds=8, check_seconds=60, memory_bytes=1 << 30, cpu_seconds=60, max_processes=32,
                    file_bytes=8 << 20, disk_bytes=32 << 20, output_bytes=1 << 20)
    with Grader(limits, cell_timeout=20, total_timeout=120) as g:
        course.sandbox_uids = g.sandbox(str(course.root)).uids
        yield g


@pytest.fixture(scope="module")
def snapshot(course, grader):
    return course.snapshot()


def _sandbox_processes(uids: range | None) -> list[int]:
    """The live processes running as a uid of ``uids`` (a sandbox's locked block)."""
    if uids is None:
        return []
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("Uid:") and int(line.split()[1]) in uids:
                pids.append(int(entry))
    return pids


#: What the wall attacks name their processes (``prctl(PR_SET_NAME)``), to be found from outside.
WALL_PROCESS_NAMES = ("lrlab-killer", "lrlab-busy")


def _named_processes(names: tuple[str, ...], wait: float = 5.0) -> list[int]:
    """The live processes of this machine named one of ``names`` (after up to ``wait`` s for
    them to go)."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for entry in os.listdir("/proc"):
            try:
                if entry.isdigit() and Path(f"/proc/{entry}/comm").read_text().strip() in names:
                    found.append(int(entry))
            except OSError:
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def grade(grader, course, assignment, student, answers=None, notebook=None, raw=None, execute=False) -> Outcome:
    if notebook is None and raw is None:
        notebook = fill(release_notebook(assignment, course.root), answers or {})
    course.submit(assignment, student, notebook=notebook, raw=raw)
    outcome = grader.grade(course.trusted(assignment), student, execute=execute)
    assert isinstance(outcome, Outcome)
    return outcome


def baseline(grader, course, assignment, variant) -> dict[str, float]:
    key = f"{assignment}/{variant}"
    if key not in course.baseline:
        out = grade(grader, course, assignment, f"base-{variant}", redteam_answers(assignment, variant))
        assert out.status == "graded", out
        course.baseline[key] = {c.grade_id: c.score for c in out.checks}
    return course.baseline[key]


def assert_contained(course, snapshot, outcome, assignment, student, *, base=None, zero=()):
    """The invariants every hostile submission must satisfy."""
    text = outcome.to_json()
    assert course.canary not in text, "a planted secret reached the outcome"
    executed = course.root / "autograded" / student / assignment / f"{assignment}.ipynb"
    if executed.exists():
        assert course.canary not in executed.read_text(errors="replace"), "a secret reached the autograded notebook"
    if outcome.status == "failed":
        assert isinstance(outcome.reason, Reason) and outcome.detail
    checks = {c.grade_id: c for c in outcome.checks}
    for gid, check in checks.items():
        assert 0 <= check.score <= check.points
        if base is not None:
            assert check.score <= base.get(gid, 0) + 1e-9, f"{gid}: {check.score} > honest {base.get(gid)}"
    for gid in zero:
        assert checks[gid].score == 0, f"{gid} scored {checks[gid].score}"
    assert course.snapshot() == snapshot, "a course file outside the student's folder changed"
    leftovers = _sandbox_processes(course.sandbox_uids)
    deadline = time.monotonic() + 5
    while leftovers and time.monotonic() < deadline:
        time.sleep(0.1)
        leftovers = _sandbox_processes(course.sandbox_uids)
    assert leftovers == [], f"sandbox processes survived: {leftovers}"
    assert len(text) < 200_000


def test_the_leftover_check_sees_a_live_child_of_this_run_only(grader, course):
    """The check in :func:`assert_contained` can fail: a live child of this run's sandbox runs
    as a uid of its locked block and is seen; once closed, it is gone."""
    sandbox = grader.sandbox(str(course.root))
    if sandbox.uids is None:
        pytest.skip(f"no sandbox uid block (not root, or none free): {sandbox.isolation.details}")
    with sandbox.load([("probe", "x = 1")]) as child:
        assert sandbox.uids == course.sandbox_uids and child.uid in sandbox.uids
        assert _sandbox_processes(sandbox.uids), "a live sandbox child was not seen"
    deadline = time.monotonic() + 5
    while _sandbox_processes(sandbox.uids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _sandbox_processes(sandbox.uids) == []


def total_points(assignment) -> float:
    return round(sum(c.points for c in load_checks(assignment).values()), 2)


# --------------------------------------------------------------------------- honest work

NOISE = (
    "import sys as _sys, time as _time, warnings as _warnings\n"
    "import numpy as _np\n"
    "print('working on it', _np.float64(1.5))\n"
    "print('a note on stderr', file=_sys.stderr)\n"
    "_warnings.warn('only a warning')\n"
    "_time.sleep(0.2)\n"
)


@pytest.mark.parametrize("assignment", assignments(PS1, PS2, PS3))
@pytest.mark.parametrize("variant", ["correct", "honest_noisy"])
def test_honest_full_marks(grader, course, snapshot, assignment, variant):
    if (REDTEAM / assignment / f"{variant}.py").exists():
        answers = redteam_answers(assignment, variant)
    else:  # every answer cell of the correct set, made noisy and slow (but within limits)
        answers = {g: NOISE + src for g, src in redteam_answers(assignment, "correct").items()}
    out = grade(grader, course, assignment, f"honest-{variant}", answers)
    assert out.status == "graded" and out.flags == [], (out.flags, out.detail)
    assert out.score == total_points(assignment), [(c.grade_id, c.score, c.message) for c in out.checks]
    assert len(out.submission_hash) == 64 and out.isolation
    assert_contained(course, snapshot, out, assignment, f"honest-{variant}")


# --------------------------------------------------------------------------- families 1-8, 10

FORBIDDING_PS1 = tuple(g for g, c in load_checks(PS1).items() if c.forbidden) if not _available(PS1) else ()
# (fixture, honest baseline variant, checks that must score 0, execute the notebook too,
#  the check the attack targets)
ATTACKS = {
    PS1: [
        ("hide_failures", "baseline_not_float", ("test_step_decay",), True, "test_step_decay"),
        ("patch_everything", "baseline_wrong_step", (), False, "test_step_decay"),
        ("lying_objects", "baseline_lying", (), False, "test_step_decay"),
        ("applied_lie", "correct", ("test_applied",), False, "test_applied"),
        ("read_hidden", "baseline_wrong_step", ("test_applied",), True, "test_step_decay"),
        ("write_outside", "baseline_wrong_step", (), True, "test_step_decay"),
        ("exit_at_call", "baseline_wrong_step", ("test_step_decay",), False, "test_step_decay"),
        ("segfault", "baseline_wrong_step", ("test_step_decay",), False, "test_step_decay"),
        ("loop_in_call", "correct", ("test_max_stable_lr",), False, "test_max_stable_lr"),
        ("disk_fill", "correct", ("test_gd_regime",), False, "test_gd_regime"),
        ("graded_differently", "baseline_wrong_step", (), False, "test_step_decay"),
        ("network", "baseline_wrong_step", (), False, "test_step_decay"),
        # issue 13: a scheduler named at run time trips the wire; disarming the wire voids
        # every check that forbids schedulers; a forbidden name costs only its own check.
        ("wrong_forbidden_at_run_time", "correct", ("test_step_decay",), False, "test_step_decay"),
        ("disarm_tripwire", "correct", FORBIDDING_PS1, False, "test_step_decay"),
        ("wrong_forbidden_scheduler", "correct", ("test_step_decay", "test_warmup_cosine_lr"), False,
         "test_warmup_cosine_lr"),
    ],
    PS2: [
        ("hide_failures", "baseline_not_float", ("test_next_lr",), True, "test_next_lr"),
        ("patch_everything", "baseline_wrong", ("test_next_lr",), False, "test_next_lr"),
        ("lying_objects", "baseline_lying", (), False, "test_next_lr"),
        ("read_hidden", "baseline_raises", ("test_figures",), True, "test_next_lr"),
        ("write_outside", "baseline_wrong", ("test_next_lr",), False, "test_next_lr"),
        ("exit_at_call", "baseline_wrong", ("test_next_lr",), False, "test_next_lr"),
        ("segfault", "baseline_wrong", ("test_next_lr",), False, "test_next_lr"),
        ("loop_in_call", "correct", ("test_next_lr",), False, "test_next_lr"),
        ("disk_fill", "correct", ("test_figures",), False, "test_figures"),
        ("graded_differently", "baseline_wrong", ("test_next_lr",), False, "test_next_lr"),
        ("network", "baseline_wrong", ("test_next_lr",), True, "test_next_lr"),
    ],
    # issue 14: the new surfaces (a trace is re-run, never believed; the loop's rates and the
    # schedule's speed are capped) and one worker-killing call.
    PS3: [
        ("trace_lie", "correct", ("test_range_test",), False, "test_range_test"),
        ("loop_bad_rates", "correct", ("test_tuning_loop",), False, "test_tuning_loop"),
        ("slow_schedule", "correct", ("test_schedule",), False, "test_schedule"),
        ("exit_at_call", "correct", ("test_range_test",), False, "test_range_test"),
        # issue 23: lrlab's own range test in Part 1's answers — imported (found in the source),
        # reached through names built at run time (the tripwire on its result class), or through
        # its private helpers (no wire needed: they cannot make Part 1's staircase).
        ("lrlab_range_test_import", "correct", ("test_range_test",), False, "test_range_test"),
        ("lrlab_range_test_at_run_time", "correct", ("test_range_test",), False, "test_range_test"),
        ("lrlab_result_at_run_time", "correct", ("test_suggest_lr",), False, "test_suggest_lr"),
        ("lrlab_smooth_at_run_time", "correct", ("test_range_test",), False, "test_range_test"),
    ],
}
# Attacks on the sandbox's own walls (issue 26), graded like ATTACKS but outside the golden
# record; tests/test_levels_redteam.py runs them at every privilege level.
WALL_ATTACKS = {
    # The tripwire's in-process record scrubbed after a run-time use: the hit reached the
    # trusted side already.
    PS1: [("scrub_tripwire", "correct", ("test_step_decay",), False, "test_step_decay"),
          # Another student's processes and the sandbox itself, attacked while the answers
          # load: a leftover killing every process it sees; SIGINT/SIGTERM/SIGHUP to pid 1, the
          # parent and kill -1; 62 busy loops in sessions of their own.
          ("wall_killer", "correct", (), False, "test_step_decay"),
          ("wall_signals", "correct", (), False, "test_step_decay"),
          ("wall_busy", "correct", (), False, "test_step_decay")],
    # lrlab's range test (the function) reached by a name built at run time: the wire covers
    # functions too.
    PS3: [("lrlab_at_run_time", "correct", ("test_range_test",), False, "test_range_test")],
}
# Whole-submission failures: (fixture, expected reasons)
FATAL = {
    "exit_at_load": ("kernel_died",),
    "memory_bomb": ("memory", "kernel_died"),
    "huge_output": ("output_flood",),
}
# An answer cell that never finishes while the answers load: it is stopped at its time limit and
# counts as a cell that raised; only the checks that need it lose points.
SLOW_LOAD = ("infinite_loop", "fork_bomb")


def _attack_params():
    out = []
    for assignment, attacks in [*ATTACKS.items(), *WALL_ATTACKS.items()]:
        for name, base, zero, execute, target in attacks:
            reason = _available(assignment)
            marks = [pytest.mark.skipif(bool(reason), reason=str(reason))]
            out.append(pytest.param(assignment, name, base, zero, execute, target, id=f"{assignment}-{name}",
                                    marks=marks))
    return out


@pytest.fixture()
def listener():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.setblocking(False)
    try:
        yield server
    finally:
        server.close()


@pytest.mark.parametrize("assignment, name, base_variant, zero, execute, target", _attack_params())
def test_attack(grader, course, snapshot, listener, assignment, name, base_variant, zero, execute, target):
    base = baseline(grader, course, assignment, base_variant)
    subst = {"{COURSE}": str(course.root), "{PORT}": str(listener.getsockname()[1])}
    student = f"attacker-{name}"
    cell = load_checks(assignment)[target].answer_cells[0]
    answers = redteam_answers(assignment, name, subst, base=base_variant, cell=cell)
    out = grade(grader, course, assignment, student, answers, execute=execute)
    assert_contained(course, snapshot, out, assignment, student, base=base, zero=zero)
    checks = {c.grade_id: c for c in out.checks}
    if name in ("exit_at_call", "segfault", "loop_in_call"):
        # Only the calls that kill the worker cost points; the rest kept theirs (fresh worker).
        assert "Not graded: your code" in checks[target].message
        assert out.status == "graded"
        others = {g: c.score for g, c in checks.items() if g != target}
        assert others == {g: v for g, v in base.items() if g != target}, "a fresh worker keeps the other checks"
    if name == "hide_failures":
        hooked = checks[target]
        # The hooks do fool the in-kernel test; the scorer is not fooled and says so.
        assert hooked.kernel_passed is False or any("passed in the kernel but failed" in f for f in out.flags), out
    if name == "network":
        try:
            conn, _ = listener.accept()
            conn.close()
            leaked = True
        except BlockingIOError:
            leaked = False
        if "netns" in out.isolation:
            assert not leaked, "a sandboxed process reached the loopback listener"
        elif leaked:
            pytest.xfail(f"no network namespace at isolation level {out.isolation}")
    if name == "read_hidden":
        assert os.environ["LRLAB_REDTEAM_SECRET"] == course.canary  # the secret WAS in our environment
    if name == "disarm_tripwire":
        assert "the forbidden-scheduler tripwire was disarmed in the worker (suspected tampering)" in out.flags
    if name.startswith("wall_"):
        assert {g: c.score for g, c in checks.items()} == base and out.flags == [], out.flags
        assert _named_processes(WALL_PROCESS_NAMES) == [], "a process started by the attacker survived it"
    if name == "scrub_tripwire":
        assert "forbidden API at run time in test_step_decay: StepLR" in out.flags, out.flags
    if name == "lrlab_at_run_time":  # the function's own wire, not only the class it builds
        prefix = "forbidden API at run time in test_range_test: "
        assert any(f.startswith(prefix) and "range_test" in f[len(prefix):].split(", ") for f in out.flags), out.flags
    if name in ("wrong_forbidden_at_run_time", "wrong_forbidden_scheduler", "scrub_tripwire", "lrlab_at_run_time"):
        others = {g: c.score for g, c in checks.items() if g not in zero}
        assert others == {g: v for g, v in base.items() if g not in zero}, "only the own checks are voided"
    if execute:
        executed = course.root / "autograded" / student / assignment / f"{assignment}.ipynb"
        assert executed.exists(), out.flags


@pytest.mark.parametrize("assignment", assignments(PS1, PS2))
@pytest.mark.parametrize("name", sorted(FATAL))
def test_fatal(grader, course, snapshot, assignment, name):
    import dataclasses

    student = f"attacker-{name}"
    answers = redteam_answers(assignment, name, cell=LOAD_CELL[assignment])
    sandbox = grader.sandbox(str(course.root))
    normal = sandbox.limits  # shorter trusted-side deadlines keep the suite fast
    sandbox.limits = dataclasses.replace(normal, cell_seconds=6, call_seconds=4)
    try:
        out = grade(grader, course, assignment, student, answers)
    finally:
        sandbox.limits = normal
    assert out.status == "failed" and out.reason in FATAL[name], (out.status, out.reason, out.detail, out.flags)
    assert out.score == 0 and out.detail
    assert_contained(course, snapshot, out, assignment, student)


@pytest.mark.parametrize("assignment", assignments(PS1, PS2))
@pytest.mark.parametrize("name", SLOW_LOAD)
def test_a_cell_that_never_finishes_loading_costs_only_its_own_checks(grader, course, snapshot, assignment, name):
    import dataclasses

    base = baseline(grader, course, assignment, "correct")
    student = f"attacker-{name}"
    cell = LOAD_CELL[assignment]
    answers = redteam_answers(assignment, name, cell=cell)
    sandbox = grader.sandbox(str(course.root))
    normal = sandbox.limits  # a shorter limit per cell keeps the suite fast
    sandbox.limits = dataclasses.replace(normal, cell_seconds=4)
    try:
        out = grade(grader, course, assignment, student, answers)
    finally:
        sandbox.limits = normal
    assert out.status == "graded", (out.reason, out.detail, out.flags)
    hit = {g for g, check in load_checks(assignment).items() if cell in check.answer_cells}
    checks = {c.grade_id: c for c in out.checks}
    assert hit and all(f"Cell {cell} raised TimeoutError" in checks[g].message for g in hit)
    assert_contained(course, snapshot, out, assignment, student, base=base, zero=tuple(hit))
    assert {g: c.score for g, c in checks.items() if g not in hit} == {g: v for g, v in base.items() if g not in hit}
    assert f"answer cell {cell} stopped at its time limit and left out" in out.flags


# --------------------------------------------------------------------------- family 9


def _cell(nb, gid):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def _first_test(assignment):
    return next(iter(load_checks(assignment)))


def _first_answer(assignment):
    return next(iter(load_checks(assignment).values())).answer_cells[0]


def _delete_test(nb, a):
    nb.cells.remove(_cell(nb, _first_test(a)))


def _duplicate_answer_wrong_first(nb, a):
    cell = _cell(nb, _first_answer(a))
    wrong = copy.deepcopy(cell)
    wrong.source = "raise RuntimeError('deliberately wrong first copy')"
    nb.cells.insert(nb.cells.index(cell), wrong)


def _retype_test(nb, a):
    cell = _cell(nb, _first_test(a))
    i = nb.cells.index(cell)
    nb.cells[i] = nbformat.v4.new_markdown_cell(cell.source, metadata=copy.deepcopy(cell.metadata))


def _skip_tags(nb, a):
    for gid in load_checks(a):
        cell = _cell(nb, gid)
        cell.metadata["tags"] = ["skip-execution", "raises-exception"]


def _points(nb, a):
    _cell(nb, _first_test(a)).metadata.nbgrader["points"] = 1000


def _ungrade(nb, a):
    _cell(nb, _first_test(a)).metadata.nbgrader["grade"] = False


def _rewrite_test(nb, a):
    cell = _cell(nb, _first_test(a))
    cell.source = "pass"
    from nbgrader.utils import compute_checksum

    cell.metadata.nbgrader["checksum"] = compute_checksum(cell)  # a forged, matching checksum


def _kernelspec(nb, a):
    nb.metadata["kernelspec"] = {"name": "evil", "display_name": "Evil", "language": "python"}


TAMPER = [
    (_delete_test, "was deleted"),
    (_duplicate_answer_wrong_first, "appears 2 times"),
    (_retype_test, "re-typed from code to markdown"),
    (_skip_tags, "tagged raises-exception, skip-execution"),
    (_points, "metadata changed (points)"),
    (_ungrade, "metadata changed (grade)"),
    (_rewrite_test, "was modified (checksum mismatch)"),
    (_kernelspec, "kernelspec changed"),
]


@pytest.mark.parametrize("assignment", assignments(PS1, PS2))
@pytest.mark.parametrize("mutate, flag", TAMPER, ids=[m.__name__.strip("_") for m, _ in TAMPER])
def test_notebook_tampering(grader, course, snapshot, assignment, mutate, flag):
    nb = fill(release_notebook(assignment, course.root), redteam_answers(assignment, "correct"))
    mutate(nb, assignment)
    student = f"tamper-{mutate.__name__.strip('_')}"
    # The kernel run matters only where the cells it restores could have been affected.
    execute = mutate is _skip_tags and assignment == PS2
    out = grade(grader, course, assignment, student, notebook=nb, execute=execute)
    assert out.status == "graded", (out.reason, out.detail)
    assert any(flag in f for f in out.flags), out.flags
    assert out.max_score == total_points(assignment)  # points come from the trusted checks
    full = {c.grade_id: c.points for c in out.checks}
    assert_contained(course, snapshot, out, assignment, student, base=full)
    if mutate is _duplicate_answer_wrong_first:  # the FIRST copy is the one graded
        assert out.score < total_points(assignment)
    if execute:  # restored test cells ran, despite deletion or skip tags
        assert all(c.kernel_passed is not None for c in out.checks), [(c.grade_id, c.kernel_passed) for c in out.checks]


def _other_assignment(a):
    other = PS2 if a == PS1 else PS1
    if _available(other):
        pytest.skip(f"needs {other}")
    return nbformat.writes(fill(release_notebook(other, ROOT), {})).encode()


BAD_FILES = [
    ("truncated_json", lambda a: nbformat.writes(fill(release_notebook(a, ROOT), {})).encode()[:500], "not_a_notebook"),
    ("binary", lambda a: bytes(range(256)) * 10, "not_a_notebook"),
    ("python_file", lambda a: b"def step_decay(*a):\n    return 1.0\n", "not_a_notebook"),
    ("nbformat3", lambda a: json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}).encode(),
     "invalid_notebook"),
    ("not_a_notebook_json", lambda a: b'{"cells": "nope", "nbformat": 4}', "invalid_notebook"),
    ("no_graded_cells", lambda a: nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])).encode(),
     "missing_cells"),
    ("other_assignment", _other_assignment, "wrong_assignment"),
]


@pytest.mark.parametrize("assignment", assignments(PS1, PS2))
@pytest.mark.parametrize("label, make, reason", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files(grader, course, snapshot, assignment, label, make, reason):
    student = f"bad-{label}"
    out = grade(grader, course, assignment, student, raw=make(assignment))
    assert out.status == "failed" and out.reason == reason, (out.reason, out.detail)
    assert out.detail and out.checks == []
    assert_contained(course, snapshot, out, assignment, student)


@pytest.mark.parametrize("assignment", assignments(PS1))
def test_symlink_and_missing(grader, course, snapshot, assignment):
    folder = course.submit(assignment, "bad-symlink")
    os.symlink(course.root / "gradebook.db", folder / f"{assignment}.ipynb")
    trusted = course.trusted(assignment)
    out = grader.grade(trusted, "bad-symlink")
    assert out.status == "failed" and out.reason == "not_a_notebook" and any("symlink" in f for f in out.flags)
    out = grader.grade(trusted, "nobody-here")
    assert out.status == "failed" and out.reason == "not_a_notebook"
    out = grader.grade(trusted, "../victim")
    assert out.status == "failed"
    assert_contained(course, snapshot, out, assignment, "bad-symlink")


# --------------------------------------------------------------------------- the batch goes on


@pytest.mark.parametrize("assignment", assignments(PS1, PS2, PS3))
def test_after_the_attacks_an_honest_submission_still_gets_full_marks(grader, course, snapshot, assignment):
    out = grade(grader, course, assignment, "honest-last", redteam_answers(assignment, "correct"), execute=True)
    assert out.status == "graded" and out.score == total_points(assignment) and out.flags == [], out
    assert all(c.kernel_passed for c in out.checks), [(c.grade_id, c.kernel_passed) for c in out.checks]
    assert_contained(course, snapshot, out, assignment, "honest-last")
