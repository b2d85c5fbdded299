"""Every assignment the grader finds keeps the contract of its folder (autograder/assignments/README.md).

These tests run for each folder of ``autograder/assignments`` — a new assignment is covered
without a line here: its description matches its notebook (every graded cell is a check or
a written answer, with the notebook's points), its hidden test cells call the grader, its
harness is the one in its folder, and its correct answer set earns full marks where its
first wrong one does not (judged in this process, as the sealed scorer judges).
"""
from __future__ import annotations

import functools
import importlib

import nbformat
import pytest

from autograder import assignments
from autograder.assignments import SAMPLE_KINDS, Assignment
from autograder.cells import is_answer_cell, nbgrader_meta
from autograder.grading.program import answer_sources
from autograder.grading.scorer import score_report
from autograder.harness import discover
from autograder.submissions import answers, fill, release_notebook, variants
from tests.conftest import ROOT
from tests.inprocess import InProcessSandbox

NAMES = assignments.names()


@functools.cache
def source(name: str) -> nbformat.NotebookNode:
    return nbformat.read(assignments.get(name).source_notebook(), as_version=4)


def graded_cells(name: str) -> dict[str, nbformat.NotebookNode]:
    return {nbgrader_meta(c)["grade_id"]: c for c in source(name).cells if nbgrader_meta(c).get("grade")}


def test_assignments_are_found_by_their_folders() -> None:
    assert {"ps1_schedulers", "ps2_diagnosing_curves", "ps3_tuning"} <= set(NAMES)
    with pytest.raises(assignments.UnknownAssignment):
        assignments.get("ps9_nothing")


@pytest.mark.parametrize("name", NAMES)
def test_the_description_is_the_folders(name: str) -> None:
    declared = assignments.get(name)
    assert isinstance(declared, Assignment) and declared.name == name and declared.folder.name == name
    assert declared.source_notebook().is_file() and (ROOT / "release" / name / f"{name}.ipynb").is_file()
    assert declared.checks, "an assignment with nothing to autograde"
    harness = f"{assignments.__name__}.{name}.harness"
    if harness in discover():
        assert declared.harness is importlib.import_module(harness).HARNESS
    for module in declared.trusted_imports:
        importlib.import_module(module)


@pytest.mark.parametrize("name", NAMES)
def test_every_graded_cell_is_a_check_or_a_written_answer(name: str) -> None:
    declared, cells = assignments.get(name), graded_cells(name)
    tests = {g: c for g, c in cells.items() if not nbgrader_meta(c).get("solution")}
    written = {g: c for g, c in cells.items() if nbgrader_meta(c).get("solution")}
    assert set(tests) == set(declared.checks_by_id) and set(written) == set(declared.manual_points)
    answer_cells = {nbgrader_meta(c)["grade_id"] for c in source(name).cells if is_answer_cell(c)}
    for grade_id, check in declared.checks_by_id.items():
        assert nbgrader_meta(tests[grade_id])["points"] == check.points, grade_id
        assert set(check.answer_cells) <= answer_cells, grade_id
        assert tests[grade_id].source.rstrip().endswith(
            f'### BEGIN HIDDEN TESTS\nfrom autograder.assignments import run_in_kernel\n'
            f'run_in_kernel("{name}", "{grade_id}", globals())\n### END HIDDEN TESTS'), grade_id
    for grade_id, points in declared.manual_points.items():
        assert written[grade_id].cell_type == "markdown" and nbgrader_meta(written[grade_id])["points"] == points
    assert declared.points == sum(nbgrader_meta(c)["points"] for c in cells.values())


@pytest.mark.parametrize("name", NAMES)
def test_the_correct_answer_set_is_the_source_solution(name: str) -> None:
    markers = ("### BEGIN SOLUTION", "### END SOLUTION")
    solution = {grade_id: "\n".join(line for line in source.split("\n") if line.strip() not in markers).strip("\n")
                for grade_id, source in answer_sources(source(name)).items()}
    assert answers(name, "correct") == solution


@pytest.mark.parametrize("name", NAMES)
def test_the_answer_sets_fit_the_release(name: str) -> None:
    names = variants(name)
    assert "correct" in names and any(v.startswith("wrong") for v in names)
    assert all(v.startswith(SAMPLE_KINDS) for v in names), names
    release = release_notebook(name)
    for variant in names:
        fill(release, answers(name, variant))  # ValueError for a grade id the release lacks


@pytest.mark.parametrize("name", NAMES)
def test_correct_earns_full_marks_and_wrong_fewer(name: str) -> None:
    declared, release = assignments.get(name), release_notebook(name)
    wrong = next(v for v in variants(name) if v.startswith("wrong"))
    scores = {}
    for variant in ("correct", wrong):
        report = score_report(declared, release, fill(release, answers(name, variant)), InProcessSandbox())
        scores[variant] = sum(c.score for c in report.checks)
    assert scores["correct"] == sum(c.points for c in declared.checks)
    assert scores[wrong] < scores["correct"]


@pytest.mark.parametrize("name", NAMES)
def test_what_the_harness_wires_exists_and_a_check_forbids(name: str) -> None:
    """The tripwire's names (classes or functions, :mod:`autograder.harness.tripwire`) are
    names of their module that some check of the assignment forbids: the scorer expects each
    one's probe hit, and a name that does not exist could never send one."""
    declared = assignments.get(name)
    forbidden = set().union(*(check.forbidden for check in declared.checks))
    for module, wired in declared.harness.tripwires.items():
        loaded = importlib.import_module(module)
        assert all(callable(getattr(loaded, n, None)) for n in wired), (module, sorted(wired))
        assert wired <= forbidden, (module, sorted(wired - forbidden))


@pytest.mark.parametrize("name", NAMES)
def test_the_notebook_states_the_sandbox_limits(name: str) -> None:
    """Students read the limits that can cost them points, with the sandbox's own numbers."""
    from autograder.sandbox.policy import student_limits

    assert student_limits() in "\n\n".join(c.source for c in source(name).cells if c.cell_type == "markdown")


#: Student ids the same answers are handed in under (nbgrader's ids: any folder name).
STUDENT_IDS = ("alice", "bob", "zoe-2031")


@pytest.mark.parametrize("name", NAMES)
def test_the_same_answers_earn_the_same_score_whoever_hands_them_in(name: str, tmp_path, trusted_assignment) -> None:
    """Every answer set, handed in under several student ids and graded by the grader's own
    per-submission path (validate, normalize, the sealed scorer; the answers run in this
    process): one score and one message per check, whoever the student is."""
    import shutil

    from autograder.grading.worker import Grader

    shutil.copytree(ROOT / "release" / name, tmp_path / "release" / name)
    for variant in variants(name):
        for student in STUDENT_IDS:
            folder = tmp_path / "submitted" / f"{student}" / name
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(fill(release_notebook(name), answers(name, variant)), folder / f"{name}.ipynb")
        with Grader(sandbox_factory=lambda root: InProcessSandbox()) as grader:
            graded = [grader.grade(trusted_assignment(tmp_path, name), student) for student in STUDENT_IDS]
        verdicts = {tuple((c.grade_id, c.score, c.message) for c in outcome.checks) for outcome in graded}
        assert all(outcome.status == "graded" for outcome in graded), (variant, [o.detail for o in graded])
        assert len(verdicts) == 1, (variant, verdicts)
