"""The ``static-output`` tag: read-only cells rendered once per grading process (autograder.grading.execute).

Fast logic tests use an in-process fake sandbox on a tiny demo release; the ps2 tests use ONE
module-scoped real Grader/Sandbox on a temporary copy of the release.
"""
from __future__ import annotations

import contextlib
import copy
import io
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output

from autograder import submissions
from autograder.grading.execute import STATIC_OUTPUT_TAG, STATIC_PLACEHOLDER, static_cells
from autograder.grading.worker import Grader
from autograder.grading.validate import trusted_notebook
from autograder.sandbox import ExecResult, Level, Part

from tests.test_scorer import CHECKS, GOOD
from tests.test_validate import _nbg, cell_by, release_nb

ROOT = Path(__file__).resolve().parents[1]
PS2 = "ps2_diagnosing_curves"
PS2_STATIC = ["practice_examples", "show_figure_a", "show_figure_b", "show_figure_c", "show_figure_d", "show_figure_e"]


# --------------------------------------------------------------------------- fast: a fake sandbox that runs cells


class InProcessSandbox:
    """Executes (test-authored, trusted) cells in-process, one namespace per notebook."""

    isolation = type("Iso", (), {"level": Level(frozenset({Part.MOUNTNS, Part.UID}))})()  # hides the course, keeps students apart

    def __init__(self, *args):
        self.executed = []

    def load(self, program):
        from autograder.checks import LocalStudent
        from autograder.checks.reference import run_program

        return LocalStudent(run_program(program))

    def execute_notebook(self, nb, cell_timeout, total_timeout, files=None):
        self.executed.append(copy.deepcopy(nb))
        out, ns, count = copy.deepcopy(nb), {}, 0
        errors = [False] * len(out.cells)
        for i, cell in enumerate(out.cells):
            if cell.cell_type != "code":
                continue
            count += 1
            cell.execution_count, cell.outputs, buf = count, [], io.StringIO()
            try:
                with contextlib.redirect_stdout(buf):
                    exec(cell.source, ns)
            except Exception as err:  # noqa: BLE001
                errors[i] = True
                cell.outputs.append(new_output("error", ename=type(err).__name__, evalue=str(err), traceback=[]))
            if buf.getvalue():
                cell.outputs.insert(0, new_output("stream", name="stdout", text=buf.getvalue()))
        return ExecResult(out, None, errors)

    def close(self):
        pass


def demo_release(static_text="static 42"):
    nb = release_nb()
    static = _nbg(new_code_cell(f"print({static_text!r})"), grade_id="static_ok", locked=True)
    static.metadata["tags"] = [STATIC_OUTPUT_TAG]
    # depends on an answer: errors in the release run, so it must be executed normally
    needs_f = _nbg(new_code_cell("print('needs f', f(2))"), grade_id="static_needs_f", locked=True)
    needs_f.metadata["tags"] = [STATIC_OUTPUT_TAG]
    nb.cells.insert(2, static)
    nb.cells.insert(4, needs_f)  # after f_answer
    return nb


@pytest.fixture()
def demo(tmp_path, graded_with):
    (tmp_path / "release" / "ps_demo").mkdir(parents=True)
    nbformat.write(demo_release(), tmp_path / "release" / "ps_demo" / "ps_demo.ipynb")
    graded_with(CHECKS)
    return tmp_path


def _submit(root, student, nb, assignment="ps_demo"):
    folder = root / "submitted" / student / assignment
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{assignment}.ipynb")


def _executed(root, student, assignment="ps_demo"):
    return nbformat.read(root / "autograded" / student / assignment / f"{assignment}.ipynb", as_version=4)


def _text(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []))


def test_only_the_release_tags_on_locked_non_graded_cells_count():
    nb = demo_release()
    for gid in ("f_answer", "test_f", "setup"):
        cell_by(nb, gid).metadata["tags"] = [STATIC_OUTPUT_TAG, "setup"] if gid == "setup" else [STATIC_OUTPUT_TAG]
    assert static_cells(trusted_notebook("ps_demo", nb)) == ["static_ok", "static_needs_f"]


def test_student_tags_are_ignored_and_errored_static_cells_run_normally(demo, trusted_assignment):
    box = InProcessSandbox()
    sub = demo_release()
    for gid, source in GOOD.items():
        cell_by(sub, gid).source = source
    for gid in ("f_answer", "test_f", "g_answer", "test_g"):  # the student's own tags on graded cells
        cell_by(sub, gid).metadata["tags"] = [STATIC_OUTPUT_TAG]
    extra = new_code_cell("print('my extra cell')", metadata={"tags": [STATIC_OUTPUT_TAG]})
    sub.cells.insert(len(sub.cells) - 1, extra)
    _submit(demo, "alice", sub)
    with Grader(sandbox_factory=lambda root: box) as grader:
        out = grader.grade(trusted_assignment(demo), "alice", execute=True)
    assert out.status == "graded" and out.score == 5.0
    assert all(c.kernel_passed is True for c in out.checks), out.checks
    release_run, student_run = box.executed
    assert "raise NotImplementedError" in cell_by(release_run, "f_answer").source
    assert len(release_run.cells) == 5  # the release, up to its last tagged cell
    # only the cached cell is blanked; answer/test/extra cells (student-tagged) all ran
    blanked = [c for c in student_run.cells if c.cell_type == "code" and c.source == STATIC_PLACEHOLDER]
    assert [cell_by(student_run, "static_ok")] == blanked
    assert cell_by(student_run, "f_answer").source == GOOD["f_answer"]
    assert cell_by(student_run, "static_needs_f").source == "print('needs f', f(2))"
    executed = _executed(demo, "alice")
    ok = cell_by(executed, "static_ok")
    assert ok.source == "print('static 42')" and _text(ok) == "static 42\n" and ok.execution_count == 2
    assert _text(cell_by(executed, "static_needs_f")) == "needs f 4\n"  # executed normally, with the answer
    assert any(_text(c) == "my extra cell\n" for c in executed.cells)
    assert [c.execution_count for c in executed.cells if c.cell_type == "code"] == list(range(1, 9))


def test_release_runs_once_and_again_when_the_release_changes(demo, trusted_assignment):
    box = InProcessSandbox()
    sub = demo_release()
    for gid, source in GOOD.items():
        cell_by(sub, gid).source = source
    for student in ("a", "b", "c"):
        _submit(demo, student, sub)
    with Grader(sandbox_factory=lambda root: box) as grader:
        grader.grade(trusted_assignment(demo), "a", execute=True)
        grader.grade(trusted_assignment(demo), "b", execute=True)  # another run, the same release: not rendered again
        assert grader.static_runs == 1 and len(box.executed) == 3
        nbformat.write(demo_release("static, version 2!"), demo / "release" / "ps_demo" / "ps_demo.ipynb")
        grader.grade(trusted_assignment(demo), "c", execute=True)
        assert grader.static_runs == 2 and len(box.executed) == 5
    # the new release's source and output, whatever the student's copy holds
    cell = cell_by(_executed(demo, "c"), "static_ok")
    assert cell.source == "print('static, version 2!')" and _text(cell) == "static, version 2!\n"


# --------------------------------------------------------------------------- ps2 in the real sandbox


@pytest.fixture(scope="module")
def ps2_course(tmp_path_factory):
    root = tmp_path_factory.mktemp("static_course")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "release" / PS2, root / "release" / PS2)
    return root


@pytest.fixture(scope="module")
def ps2_grader(ps2_course):
    with Grader(cell_timeout=60, total_timeout=240) as grader:
        box = grader.sandbox(str(ps2_course))
        calls = []
        real = box.execute_notebook

        def counting(nb, *args, **kwargs):
            calls.append(nb)
            return real(nb, *args, **kwargs)

        box.execute_notebook = counting
        grader.calls = calls
        yield grader


def test_ps2_figure_cells_are_the_tagged_ones():
    release = nbformat.read(ROOT / "release" / PS2 / f"{PS2}.ipynb", as_version=4)
    assert static_cells(trusted_notebook(PS2, release)) == PS2_STATIC
    ps1 = nbformat.read(ROOT / "release" / "ps1_schedulers" / "ps1_schedulers.ipynb", as_version=4)
    assert static_cells(trusted_notebook("ps1_schedulers", ps1)) == []  # every ps1 plot uses an answer


@pytest.mark.slow
def test_ps2_static_outputs_equal_a_normal_run_and_are_cached(ps2_grader, ps2_course, trusted_assignment):
    sub = submissions.build_submission(PS2, "correct", ps2_course)
    sub.cells[-1].metadata["tags"] = [STATIC_OUTPUT_TAG]  # harmless: a markdown cell
    cell_by(sub, "figures_answer").metadata["tags"] = [STATIC_OUTPUT_TAG]
    cell_by(sub, "test_figures").metadata["tags"] = [STATIC_OUTPUT_TAG]
    for student in ("s1", "s2"):
        _submit(ps2_course, student, sub, PS2)
    assignment = trusted_assignment(ps2_course, PS2)
    outs = [ps2_grader.grade(assignment, s, execute=True) for s in ("s1", "s2")]
    for out in outs:
        assert out.status == "graded" and out.score == 90 and all(c.kernel_passed for c in out.checks), out
        assert [f for f in out.flags if "tagged" not in f and "tags added" not in f] == [], out.flags
    assert ps2_grader.static_runs == 1 and len(ps2_grader.calls) == 3  # one release run, two submissions
    student_run = ps2_grader.calls[1]
    assert [c.metadata["nbgrader"]["grade_id"] for c in student_run.cells if c.source == STATIC_PLACEHOLDER] == PS2_STATIC
    # a normal (uncached) run of the same normalized notebook
    reference = copy.deepcopy(student_run)
    for cell in reference.cells:
        if cell.source == STATIC_PLACEHOLDER:
            cell.source = cell_by(nbformat.read(ps2_course / "release" / PS2 / f"{PS2}.ipynb", as_version=4),
                                  cell.metadata["nbgrader"]["grade_id"]).source
    normal = ps2_grader.sandbox(str(ps2_course)).execute_notebook(
        reference, 60, 240, files={"practice_curves.json": (ps2_course / "release" / PS2 / "practice_curves.json").read_text()})
    executed = _executed(ps2_course, "s2", PS2)
    for gid in PS2_STATIC:
        mine, theirs = cell_by(executed, gid), cell_by(normal.notebook, gid)
        assert mine.source == theirs.source and mine.source != STATIC_PLACEHOLDER
        assert mine.outputs == theirs.outputs and mine.execution_count == theirs.execution_count, gid
        assert any("image/png" in o.get("data", {}) for o in mine.outputs), gid
    counts = [c.get("execution_count") for c in executed.cells]
    first_code = next(i for i, c in enumerate(executed.cells) if c.cell_type == "code")
    assert counts == [c.get("execution_count") for c in normal.notebook.cells] and counts[first_code] is not None


@pytest.mark.slow
def test_ps2_errored_static_cell_runs_normally_after_a_release_change(ps2_grader, ps2_course, trusted_assignment):
    path = ps2_course / "release" / PS2 / f"{PS2}.ipynb"
    release = nbformat.read(path, as_version=4)
    # now depends on the answer (a mistake the rule forbids): errors in the release run
    cell_by(release, "show_figure_e").source = 'print("figure_e is", diagnose(FIGURES["figure_e"]["train_loss"], FIGURES["figure_e"]["val_loss"]))'
    nbformat.write(release, path)
    _submit(ps2_course, "s3", submissions.build_submission(PS2, "correct", ps2_course), PS2)
    runs = ps2_grader.static_runs
    out = ps2_grader.grade(trusted_assignment(ps2_course, PS2), "s3", execute=True)
    assert out.status == "graded" and out.score == 90 and all(c.kernel_passed for c in out.checks), out
    assert ps2_grader.static_runs == runs + 1  # the release changed: rendered again
    executed = _executed(ps2_course, "s3", PS2)
    figure_e = cell_by(executed, "show_figure_e")
    assert "".join(o.get("text", "") for o in figure_e.outputs) == "figure_e is diverging\n"
    assert ps2_grader.calls[-1] is not None and cell_by(ps2_grader.calls[-1], "show_figure_e").source != STATIC_PLACEHOLDER
    assert any("image/png" in o.get("data", {}) for o in cell_by(executed, "show_figure_d").outputs)
