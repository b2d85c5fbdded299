"""ps2_diagnosing_curves: answer sets, curve bank, release and real nbgrader grading."""
from __future__ import annotations

import json
import math
import re
import shutil
from functools import lru_cache
from pathlib import Path

import nbformat
import pytest

from autograder import submissions
from autograder.checks import evaluate, load_checks
from autograder.checks.base import LocalStudent
from autograder.checks.ps2 import FIGURE_KEY, canonical_cases
from autograder.curves import (
    BANK_PATH,
    PRACTICE_PATH,
    SOURCE_NOTEBOOK,
    curves,
    load_bank,
    reference_namespace,
)

ROOT = Path(__file__).resolve().parents[1]
A = "ps2_diagnosing_curves"
RELEASE_DIR = ROOT / "release" / A
CHECK_IDS = ("test_diagnose_canonical", "test_diagnose_heldout", "test_diagnose_robust", "test_next_lr", "test_figures")
AUTO_POINTS = 90  # + 10 manually graded points (written_answer) = 100
STUDENTS = ("instructor", "alice", "bob")

# variant -> the checks it must LOSE points on (every other check: full marks).
EXPECT: dict[str, set[str]] = {
    "correct": set(),
    "correct_numpy": set(),
    "correct_helpers": set(),
    "wrong_always_good": {"test_diagnose_canonical", "test_diagnose_heldout", "test_diagnose_robust"},
    "wrong_absolute_thresholds": {"test_diagnose_canonical", "test_diagnose_heldout", "test_diagnose_robust"},
    "wrong_ignores_validation": {"test_diagnose_canonical", "test_diagnose_heldout", "test_diagnose_robust"},
    "wrong_crashes_on_nan": {"test_diagnose_canonical", "test_diagnose_heldout", "test_diagnose_robust"},
    "wrong_returns_index": {"test_diagnose_canonical", "test_diagnose_heldout", "test_diagnose_robust"},
    "wrong_no_input_checks": {"test_diagnose_robust"},
    "wrong_next_lr_factors": {"test_next_lr"},
    "wrong_figure": {"test_figures"},
    "partial": {"test_diagnose_canonical", "test_diagnose_heldout", "test_diagnose_robust", "test_figures"},
}


@lru_cache(maxsize=1)
def source_nb() -> nbformat.NotebookNode:
    return nbformat.read(SOURCE_NOTEBOOK, as_version=4)


@lru_cache(maxsize=None)
def namespace(variant: str) -> dict:
    return submissions.run_program(submissions.answer_program(source_nb(), submissions.answers(A, variant)))


def strip_solution(source: str) -> str:
    return re.sub(r"^### (BEGIN|END) SOLUTION\n?", "", source, flags=re.MULTILINE).strip("\n")


# --------------------------------------------------------------------------- answer sets


def test_correct_answer_set_is_the_source_solution() -> None:
    solution = {k: strip_solution(v) for k, v in submissions.answer_sources(source_nb()).items()}
    assert submissions.answers(A, "correct") == solution


def test_every_answer_set_is_in_the_expectation_table() -> None:
    assert set(submissions.variants(A)) == set(EXPECT)


@pytest.mark.parametrize("variant", sorted(EXPECT))
def test_variant_scores(variant: str) -> None:
    checks = load_checks(A)
    assert tuple(checks) == CHECK_IDS and sum(c.points for c in checks.values()) == AUTO_POINTS
    ns = namespace(variant)
    for student in STUDENTS:
        for grade_id, check in checks.items():
            result = evaluate(check, LocalStudent(ns), student, A)
            full = result.fraction == 1.0
            assert full == (grade_id not in EXPECT[variant]), (variant, student, grade_id, result)
            assert all("\n" not in m and len(m) < 300 for m in result.messages)


def test_messages_do_not_leak_heldout_data() -> None:
    result = evaluate(load_checks(A)["test_diagnose_heldout"], LocalStudent(namespace("partial")), "alice", A)
    text = " ".join(result.messages)
    assert "held-out curves wrong" in text and "most confused" in text
    for c in load_bank()["heldout"]["curves"][:20]:
        assert c["id"] not in text and str(c["train_loss"][1]) not in text


# --------------------------------------------------------------------------- reference rules


def test_reference_accuracy_on_heldout_is_at_least_95_percent() -> None:
    diagnose = reference_namespace()["diagnose"]
    held = curves("heldout")
    right = sum(diagnose(c["train_loss"], c["val_loss"]) == c["label"] for c in held)
    assert right / len(held) >= 0.95


def test_canonical_cases_are_far_from_every_threshold() -> None:
    from autograder.curves.make_bank import rule_labels

    ns = reference_namespace()
    for description, (train, val), label in canonical_cases():
        assert set(rule_labels(ns, {"train_loss": train, "val_loss": val})) == {label}, description


# --------------------------------------------------------------------------- curve bank


def test_bank_is_compact_and_covers_every_label() -> None:
    assert BANK_PATH.stat().st_size < 400_000
    bank = load_bank()
    for part, minimum in (("practice", 10), ("heldout", 10)):
        labels = [c["label"] for c in bank[part]["curves"]]
        assert all(labels.count(label) >= minimum for label in bank["labels"]), part
        assert {c["dataset"] for c in bank[part]["curves"]} >= {"digits", "breast_cancer"}
        assert {c["optimizer"] for c in bank[part]["curves"]} == {"sgd", "adam"}
    json.loads(BANK_PATH.read_text(), parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))


def test_parts_are_disjoint() -> None:
    bank = load_bank()
    practice = bank["practice"]["curves"]
    heldout = bank["heldout"]["curves"]
    assert not {c["id"] for c in practice} & {c["id"] for c in heldout}
    practice_seeds = {c["seed"] for c in practice} | {f["seed"] for f in bank["practice"]["figures"].values()}
    assert not practice_seeds & {c["seed"] for c in heldout}
    as_tuple = lambda c: (tuple(c["train_loss"]), tuple(c["val_loss"]))  # noqa: E731
    shown = {as_tuple(c) for c in practice} | {as_tuple(f) for f in bank["practice"]["figures"].values()}
    assert not shown & {as_tuple(c) for c in heldout}


def test_practice_file_is_the_practice_part_and_is_released() -> None:
    practice = json.loads(PRACTICE_PATH.read_text())
    assert practice == load_bank()["practice"]
    assert (RELEASE_DIR / "practice_curves.json").read_bytes() == PRACTICE_PATH.read_bytes()
    assert "heldout" not in practice and "figure_key" not in practice
    for figure in practice["figures"].values():
        assert "label" not in figure and "lr" not in figure


def test_figure_key_matches_the_bank() -> None:
    assert FIGURE_KEY == load_bank()["figure_key"]
    assert FIGURE_KEY["figure_c"] == "oscillating"  # lecture 6's self-check


def test_bank_regenerates_deterministically() -> None:
    """A few cheap runs regenerated from scratch equal the stored curves, bit for bit."""
    from autograder.curves import make_bank

    stored = {c["id"]: c for part in ("practice", "heldout") for c in load_bank()[part]["curves"]}
    picks = [
        (s, seed)
        for s in make_bank.SETTINGS
        if s.dataset in ("iris", "wine") and s.epochs <= 40
        for seed in (make_bank.PRACTICE_SEEDS[0], make_bank.HELDOUT_SEEDS[0])
        if s.curve_id(seed) in stored
    ][:3]
    assert len(picks) == 3
    ns = reference_namespace()
    for setting, seed in picks:
        kept, dropped = make_bank.generate([setting], [seed], ns)
        assert not dropped and kept == [stored[setting.curve_id(seed)]]


# --------------------------------------------------------------------------- notebook and release


def test_source_notebook_structure() -> None:
    nb = source_nb()
    setup = [c for c in nb.cells if submissions.is_setup_cell(c)]
    assert len(setup) == 1
    meta = setup[0].metadata["nbgrader"]
    assert meta["locked"] and not meta["solution"] and not meta["grade"] and meta["grade_id"]
    tests = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
             if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
    assert tuple(tests) == CHECK_IDS
    for grade_id, cell in tests.items():
        assert cell.metadata["nbgrader"]["points"] == load_checks(A)[grade_id].points
        assert cell.source.endswith(
            "### BEGIN HIDDEN TESTS\nfrom autograder.checks import run_in_kernel\n"
            f'run_in_kernel("{A}", "{grade_id}", globals())\n### END HIDDEN TESTS'
        )
    manual = [c for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")]
    assert [c.metadata["nbgrader"]["points"] for c in manual] == [10]
    assert sum(c.metadata.get("nbgrader", {}).get("points", 0) for c in nb.cells) == 100


def _course_copy(tmp_path: Path) -> Path:
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "source" / A, course / "source" / A)
    shutil.copytree(ROOT / "autograder", course / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    return course


def _api(course: Path):
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.db_url = f"sqlite:///{course / 'gradebook.db'}"
    config.Exchange.root = str(course / "exchange")
    return NbGraderAPI(config=config)


def _generate(course: Path):
    api = _api(course)
    result = api.generate_assignment(A, force=True, create=True)
    assert result["success"], result.get("error")
    return api


def test_release_equals_nbgrader_regeneration(tmp_path: Path) -> None:
    """generate_assignment is deterministic: cell ids, sources, metadata and checksums must match."""
    course = _course_copy(tmp_path)
    _generate(course)
    fresh = course / "release" / A
    assert sorted(p.name for p in fresh.iterdir()) == sorted(p.name for p in RELEASE_DIR.iterdir())
    for path in fresh.iterdir():
        if path.suffix == ".ipynb":
            assert json.loads(path.read_text()) == json.loads((RELEASE_DIR / path.name).read_text())
        else:
            assert path.read_bytes() == (RELEASE_DIR / path.name).read_bytes()
    assert not (ROOT / "gradebook.db").exists()


def test_release_holds_no_solution_hidden_test_or_heldout_curve() -> None:
    assert sorted(p.name for p in RELEASE_DIR.iterdir()) == ["practice_curves.json", f"{A}.ipynb"]
    text = (RELEASE_DIR / f"{A}.ipynb").read_text()
    for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "run_in_kernel", "autograder.",
                   "OVERFIT_RISE * v1", '"figure_c": "oscillating"', "memorising"):
        assert secret not in text, secret
    released = text + (RELEASE_DIR / "practice_curves.json").read_text()
    for c in load_bank()["heldout"]["curves"]:
        assert c["id"] not in released
    nb = nbformat.reads(text, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # raised inside nbgrader's own gradebook code
def test_real_nbgrader_autograde_scores_source_full_and_blank_zero(tmp_path: Path) -> None:
    from nbgrader.api import Gradebook

    course = _course_copy(tmp_path)
    api = _generate(course)
    for student, notebook in (("solution", SOURCE_NOTEBOOK), ("blank", RELEASE_DIR / f"{A}.ipynb")):
        submitted = course / "submitted" / student / A
        submitted.mkdir(parents=True)
        shutil.copy(notebook, submitted / f"{A}.ipynb")
        result = api.autograde(A, student, force=True, create=True)
        assert result["success"], result.get("error")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        solution = gb.find_submission_notebook(A, A, "solution")
        blank = gb.find_submission_notebook(A, A, "blank")
        assert solution.max_score == 100
        auto = {g.name: g.auto_score for g in solution.grades if g.cell.cell_type == "code"}
        assert auto == {grade_id: load_checks(A)[grade_id].points for grade_id in CHECK_IDS}
        assert solution.score == AUTO_POINTS and solution.needs_manual_grade
        written = gb.find_grade("written_answer", A, A, "solution")
        written.manual_score = 10  # the instructor grades the written answer in formgrader
        gb.db.commit()
        assert gb.find_submission_notebook(A, A, "solution").score == 100
        assert blank.score == 0 and not any(math.isnan(g.score) for g in blank.grades)
