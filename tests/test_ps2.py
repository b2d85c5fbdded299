"""ps2_diagnosing_curves: answer sets, curve bank, release and real nbgrader grading."""
from __future__ import annotations

import json
import math
import re
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

import nbformat
import pytest

from autograder import submissions
from autograder.assignments import get
from autograder.assignments.ps2_diagnosing_curves.bank import (
    BANK_PATH,
    PRACTICE_PATH,
    SOURCE_NOTEBOOK,
    curves,
    load_bank,
    reference_namespace,
)
from autograder.assignments.ps2_diagnosing_curves.checks import FIGURE_KEY, canonical_cases
from autograder.cells import is_setup_cell
from autograder.checks import LocalStudent
from tests.conftest import ROOT, assignment_course, nbgrader_api
from tests.inprocess import sample_namespace

A = "ps2_diagnosing_curves"
RELEASE_DIR = ROOT / "release" / A
CHECK_IDS = ("test_diagnose_canonical", "test_diagnose_heldout", "test_diagnose_robust", "test_next_lr", "test_figures")
AUTO_POINTS = 90  # + 10 manually graded points (written_answer) = 100
PS2 = get(A)

# variant -> (checks it must LOSE points on, checks it MAY lose points on); every other check:
# full marks. Partial rules keep proportional held-out credit (see the tests below).
HELD = "test_diagnose_heldout"
EXPECT: dict[str, tuple[set[str], set[str]]] = {
    "correct": (set(), set()),
    "correct_numpy": (set(), set()),
    "correct_helpers": (set(), set()),
    "wrong_always_good": ({"test_diagnose_canonical", HELD, "test_diagnose_robust"}, set()),
    "wrong_absolute_thresholds": ({"test_diagnose_canonical", HELD}, {"test_diagnose_robust"}),
    "wrong_ignores_validation": ({"test_diagnose_canonical", HELD}, {"test_diagnose_robust"}),
    "wrong_crashes_on_nan": ({"test_diagnose_canonical", HELD, "test_diagnose_robust"}, set()),
    "wrong_returns_index": ({"test_diagnose_canonical", HELD, "test_diagnose_robust"}, set()),
    "wrong_no_input_checks": ({"test_diagnose_robust"}, set()),
    "wrong_next_lr_factors": ({"test_next_lr"}, set()),
    "wrong_figure": ({"test_figures"}, set()),
    "partial": ({"test_diagnose_canonical", "test_figures"}, {HELD, "test_diagnose_robust"}),
    "partial_counts_only_training_swings": ({"test_diagnose_canonical"}, {HELD}),
    "partial_no_overfitting_rule": ({"test_diagnose_canonical"}, {HELD, "test_diagnose_robust"}),
    "wrong_swing_without_fall": ({"test_diagnose_canonical"}, {HELD}),
}


@lru_cache(maxsize=1)
def source_nb() -> nbformat.NotebookNode:
    return nbformat.read(SOURCE_NOTEBOOK, as_version=4)


def namespace(variant: str) -> dict:
    return sample_namespace(A, variant)


# --------------------------------------------------------------------------- answer sets


def test_every_answer_set_is_in_the_expectation_table() -> None:
    assert set(submissions.variants(A)) == set(EXPECT)


@pytest.mark.parametrize("variant", sorted(EXPECT))
def test_variant_scores(variant: str) -> None:
    checks = PS2.checks_by_id
    assert tuple(checks) == CHECK_IDS and sum(c.points for c in checks.values()) == AUTO_POINTS
    must_lose, may_lose = EXPECT[variant]
    ns = namespace(variant)
    for grade_id in checks:
        result = PS2.evaluate(grade_id, student_of(ns))
        if grade_id in must_lose:
            assert result.fraction < 1.0, (variant, grade_id, result)
        elif grade_id not in may_lose:
            assert result.fraction == 1.0, (variant, grade_id, result)
        assert all("\n" not in m and len(m) < 300 for m in result.messages)


def student_of(ns: dict) -> LocalStudent:
    return LocalStudent(ns, PS2.harness.operations)


def _points(variant: str, grade_id: str) -> float:
    check = PS2.checks_by_id[grade_id]
    return round(check.points * PS2.evaluate(grade_id, student_of(namespace(variant))).fraction, 2)


@pytest.mark.parametrize("variant", ["partial_counts_only_training_swings", "partial_no_overfitting_rule", "partial"])
def test_a_partial_rule_keeps_proportional_heldout_credit(variant: str) -> None:
    """Below full-marks accuracy the held-out check pays in proportion (it used to be 0/30)."""
    assert _points(variant, HELD) >= 20, _points(variant, HELD)


def test_the_heldout_visible_cell_cannot_zero_an_honest_rule() -> None:
    result = PS2.evaluate(HELD, student_of(namespace("wrong_always_good")))
    assert result.basics_ok and 0 < result.fraction < 1


def test_messages_do_not_leak_heldout_data() -> None:
    result = PS2.evaluate(HELD, student_of(namespace("partial")))
    text = " ".join(result.messages)
    assert "held-out runs wrong" in text and "most confused" in text
    for c in load_bank()["heldout"]["curves"][:20]:
        assert c["id"] not in text and str(c["train_loss"][1]) not in text


# --------------------------------------------------------------------------- reference rules


def test_reference_rules_earn_full_marks_on_the_heldout_runs() -> None:
    from autograder.assignments.ps2_diagnosing_curves.checks import FULL_MARKS_ACCURACY
    from autograder.assignments.ps2_diagnosing_curves.accuracy import accuracy_table

    total, per, _ = accuracy_table(reference_namespace()["diagnose"], curves("heldout"))
    assert total >= FULL_MARKS_ACCURACY
    assert all(n >= 10 for _, n in per.values())  # every label is measured on enough runs


def test_the_notebook_and_the_bank_readme_quote_the_measured_accuracy() -> None:
    """The accuracies students and instructors read are what accuracy.py measures on this bank."""
    from autograder.assignments.ps2_diagnosing_curves.accuracy import accuracy_table

    diagnose = reference_namespace()["diagnose"]
    measured = {part: f"{100 * accuracy_table(diagnose, curves(part))[0]:.1f} %" for part in ("practice", "heldout")}
    text = " ".join(c.source for c in source_nb().cells if c.cell_type == "markdown")
    assert f"**{measured['heldout']}** of the runs" in text and f"**{measured['practice']}**" in text
    assert f"the rules above reach {measured['heldout']} there" in text
    readme = (BANK_PATH.parent / "README.md").read_text()
    for part, share in measured.items():
        assert f"| {part} | {len(curves(part))} | {share} |" in readme


def test_moves_below_min_change_are_noise() -> None:
    """A validation rise or a late fall of at most MIN_CHANGE (0.02) names no fix: the criterion
    calls a gain below 0.02 noise, and the rules ignore such moves too."""
    diagnose = reference_namespace()["diagnose"]
    train = [0.3 * 0.7**i for i in range(20)]
    small_rise = [0.06 - 0.002 * i for i in range(10)] + [0.042 + 0.0018 * i for i in range(10)]  # +0.016 (> 30 %)
    assert diagnose(train, small_rise) == "good"
    assert diagnose(train, [0.06 - 0.002 * i for i in range(10)] + [0.042 + 0.003 * i for i in range(10)]) == "overfitting"
    slow_tail = [0.06 - 0.0015 * i for i in range(20)]  # the last half falls 0.015: > 10 % of the drop, < 0.02
    assert diagnose(train, slow_tail) == "good"
    assert diagnose(train, [0.2 - 0.008 * i for i in range(20)]) == "too_slow"


def test_a_steady_validation_climb_is_overfitting_not_oscillating() -> None:
    """Issue 13's textbook case: training to 0, validation climbing 0.31 -> 0.78."""
    diagnose = reference_namespace()["diagnose"]
    train = [0.9 * 0.5**i for i in range(12)]
    val = [0.31 + 0.047 * i for i in range(11)] + [0.78]
    assert diagnose(train, val) == "overfitting"
    assert diagnose([2.3, 1.0, 1.6, 0.7, 1.3, 0.6, 0.6, 0.55], [2.2, 1.1, 1.7, 0.8, 1.4, 0.7, 0.7, 0.65]) == "oscillating"


def test_the_swing_rule_is_tested_on_its_own() -> None:
    """A swing is a climb AND a fall, each more than 20 % of the curve's first value, counted over
    both curves: a ``diagnose`` that counts a climb with no fall after it scored 90/90 before the
    canonical curves tested the rule on its own. Now it loses every curve that jumps up once and
    stays up (at least 3 points); the honest answer sets keep full marks."""
    def total(variant: str) -> float:
        ns = namespace(variant)
        return sum(round(c.points * PS2.evaluate(g, student_of(ns)).fraction, 2) for g, c in PS2.checks_by_id.items())

    assert total("wrong_swing_without_fall") <= AUTO_POINTS - 3
    assert all(total(v) == AUTO_POINTS for v in submissions.variants(A) if v.startswith("correct"))
    result = PS2.evaluate("test_diagnose_canonical", student_of(namespace("wrong_swing_without_fall")))
    assert "too_slow→oscillating" in " ".join(result.messages) and "good→oscillating" in " ".join(result.messages)


def test_canonical_cases_are_far_from_every_threshold() -> None:
    from autograder.assignments.ps2_diagnosing_curves.make_bank import rule_labels

    ns = reference_namespace()
    for description, (train, val), label in canonical_cases():
        assert set(rule_labels(ns, {"train_loss": train, "val_loss": val})) == {label}, description


# --------------------------------------------------------------------------- curve bank


def test_bank_is_compact_and_covers_every_label() -> None:
    assert BANK_PATH.stat().st_size < 1_000_000
    bank = load_bank()
    for part in ("practice", "heldout"):
        stored = bank[part]["curves"]
        labels = [c["label"] for c in stored]
        assert all(labels.count(label) >= 10 for label in bank["labels"]), part
        for c in stored:
            assert c["label"] in c["labels"] and set(c["labels"]) <= set(bank["labels"])
            assert c["labels"] == ["diverging"] or c["best_val"] is not None
    json.loads(BANK_PATH.read_text(), parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))


def test_heldout_families_are_whole_setups_absent_from_practice() -> None:
    from autograder.assignments.ps2_diagnosing_curves import make_bank

    practice = {make_bank.setting(f) for f in make_bank.PRACTICE}
    figures = {make_bank.setting(f) for _, f in make_bank.FIGURES.values()}
    for family in make_bank.HELDOUT:
        assert make_bank.setting(family) not in practice | figures
    for key in ("hidden", "batch_size", "epochs"):  # values only held-out families use
        held_only = {getattr(f, key) for f in make_bank.HELDOUT} - {getattr(f, key) for f in make_bank.PRACTICE}
        assert held_only, key
    assert {f.optimizer for f in make_bank.HELDOUT} - {f.optimizer for f in make_bank.PRACTICE} == {"adamw"}
    bank = load_bank()
    as_tuple = lambda c: (tuple(c["train_loss"]), tuple(c["val_loss"]))  # noqa: E731
    shown = {as_tuple(c) for c in bank["practice"]["curves"]} | {as_tuple(f) for f in bank["practice"]["figures"].values()}
    assert not shown & {as_tuple(c) for c in bank["heldout"]["curves"]}
    assert not {c["seed"] for c in bank["practice"]["curves"]} & {c["seed"] for c in bank["heldout"]["curves"]}


def test_every_run_of_every_ladder_is_kept() -> None:
    """No filtering: each family's ladder runs from its start up to its second diverged run."""
    from autograder.assignments.ps2_diagnosing_curves import make_bank

    bank = load_bank()
    for part, families in (("practice", make_bank.PRACTICE), ("heldout", make_bank.HELDOUT)):
        stored = bank[part]["curves"]
        for family in families:
            ladder = [c for c in stored if c["seed"] == family.seed]
            ks = [round(math.log(c["lr"], 3)) for c in ladder]
            start = make_bank.ladder_start(family)
            assert ks == list(range(start, start + len(ks)))
            diverged = [c["labels"] == ["diverging"] and c["best_val"] is None for c in ladder]
            assert sum(diverged) == 2 or ks[-1] == make_bank.LADDER_END
            assert diverged[-1] or ks[-1] == make_bank.LADDER_END


def test_the_criterion_names_the_labels_whose_fix_works() -> None:
    """The labelling criterion on a hand-made ladder (rates 3x apart): never the rules."""
    from autograder.assignments.ps2_diagnosing_curves.criterion import RunOutcome, verdict

    def run(best: float, final: float | None = None) -> RunOutcome:
        return RunOutcome(False, best, best if final is None else final)

    blew_up = RunOutcome(True, math.inf, math.nan)
    ladder = [run(0.90), run(0.40), run(0.10), run(0.30, 0.60), run(0.50), blew_up]
    assert verdict(ladder, 5).labels == ("diverging",)  # blew up: nothing else is right
    assert verdict(ladder, 0).labels == ("too_slow",)  # a higher rate reaches 0.10
    assert verdict(ladder, 2).labels == ("good",)  # no fix lowers 0.10 by a third
    third = verdict(ladder, 3)  # / 3 reaches 0.10 (right), stopping at the best epoch 0.30 (right)
    assert third.labels == ("oscillating", "overfitting") and third.label == "oscillating"
    assert set(verdict(ladder, 4).labels) == {"diverging", "oscillating"}  # / 9 beats / 3 by a third
    tiny = [run(0.030), run(0.015)]  # halves the loss, but gains less than MIN_GAIN: noise
    assert verdict(tiny, 0).labels == ("good",)
    # x 3 is repeated only while it helps: a step that makes things worse ends the climb, so a
    # far higher rate that happens to do well does not make the run too slow
    dip = [run(0.20), run(0.25), run(0.05)]
    assert verdict(dip, 0).labels == ("good",)
    assert verdict(dip, 1).labels == ("too_slow",) and verdict(dip, 1).fixes == {"too_slow": 0.05}


def test_a_nearest_practice_run_lookup_is_far_below_the_rules() -> None:
    """The held-out bank cannot be passed by memorising the practice file (issue 13's leak)."""
    from autograder.assignments.ps2_diagnosing_curves.accuracy import accuracy_table
    from autograder.assignments.ps2_diagnosing_curves.nearest import nearest_accuracy

    lookup, _ = nearest_accuracy(curves("practice"), curves("heldout"))
    rules, _, _ = accuracy_table(reference_namespace()["diagnose"], curves("heldout"))
    assert lookup < 0.75 and lookup < rules - 0.1, (lookup, rules)


def test_practice_file_is_the_practice_part_and_is_released() -> None:
    practice = json.loads(PRACTICE_PATH.read_text())
    assert practice == load_bank()["practice"]
    assert (RELEASE_DIR / "practice_curves.json").read_bytes() == PRACTICE_PATH.read_bytes()
    assert "heldout" not in practice and "figure_key" not in practice
    for figure in practice["figures"].values():
        assert set(figure) == {"train_loss", "val_loss"}  # nothing but the curves


def test_figure_key_matches_the_bank_and_the_rules() -> None:
    from autograder.assignments.ps2_diagnosing_curves.make_bank import rule_labels

    assert FIGURE_KEY == load_bank()["figure_key"]
    assert FIGURE_KEY["figure_c"] == "oscillating"  # lecture 6's self-check
    ns = reference_namespace()
    for name, figure in load_bank()["practice"]["figures"].items():
        assert set(rule_labels(ns, figure)) == {FIGURE_KEY[name]}, name


#: Stored losses closer than this to each other are the same run: one unit in the 4th significant
#: digit they are stored with (``encode_value``), or both below ``ROUNDING_FLOOR`` nats.
ROUNDING_REL = 1e-3
ROUNDING_FLOOR = 1e-4


def same_stored_value(a: float | str | None, b: float | str | None) -> bool:
    """Two stored values of one run regenerated: equal, or both finite numbers that differ only
    in what last-bit rounding decides (see :func:`same_regeneration`)."""
    if isinstance(a, str) or isinstance(b, str) or a is None or b is None:
        return a == b
    return math.isclose(a, b, rel_tol=ROUNDING_REL, abs_tol=ROUNDING_FLOOR)


def same_regeneration(stored: list[dict], regenerated: list[dict]) -> bool:
    """A regenerated ladder is the stored one: every id, set-up, rate and label exactly, every
    loss (curves, ``best_val``, ``fixes``) up to rounding.

    Not bit for bit: PyTorch's float32 results differ in their last bits between CPUs and
    libraries, and a loss of ~3e-7 (a training loss that reached 0) stored at 4 significant
    digits then reads 3.128e-07 on one machine and 3.137e-07 on another. Such digits say
    nothing about the run, and nothing the bank is used for reads them: the rules and the
    criterion ignore moves below 0.02 nats. A value is therefore the same when it is within one
    unit of its 4th significant digit (``ROUNDING_REL``) or when both are below 1e-4 nats
    (``ROUNDING_FLOOR``); labels, which decide grades, must match exactly.
    """
    if len(stored) != len(regenerated):
        return False
    for a, b in zip(stored, regenerated):
        if a.keys() != b.keys() or a["fixes"].keys() != b["fixes"].keys():
            return False
        losses = ("train_loss", "val_loss", "best_val", "fixes")
        if any(a[k] != b[k] for k in a if k not in losses):
            return False
        pairs = [(a["best_val"], b["best_val"]), *((a["fixes"][k], b["fixes"][k]) for k in a["fixes"]),
                 *(p for k in ("train_loss", "val_loss") for p in zip(a[k], b[k], strict=True))]
        if not all(same_stored_value(x, y) for x, y in pairs):
            return False
    return True


def test_a_regeneration_may_differ_only_in_digits_rounding_decides() -> None:
    """The comparison passes a machine whose last bits differ and fails a different run."""
    import copy

    stored = [c for c in load_bank()["heldout"]["curves"] if c["dataset"] == "wine" and c["epochs"] == 15]
    assert same_regeneration(stored, copy.deepcopy(stored))
    tiny = copy.deepcopy(stored)
    k, i = next((k, i) for k, c in enumerate(tiny) for i, v in enumerate(c["train_loss"])
                if isinstance(v, float) and 0 < v < ROUNDING_FLOOR)
    tiny[k]["train_loss"][i] *= 1.05  # e.g. 3.137e-07 read as 3.294e-07: noise
    last_digit = copy.deepcopy(stored)
    last_digit[0]["val_loss"][1] = float(f"{last_digit[0]['val_loss'][1] * (1 + 4e-4):.4g}")
    assert same_regeneration(stored, tiny) and same_regeneration(stored, last_digit)
    moved, relabelled = copy.deepcopy(stored), copy.deepcopy(stored)
    moved[0]["val_loss"][1] *= 1.01  # a real difference in a real loss
    relabelled[0]["label"] = "good" if stored[0]["label"] != "good" else "too_slow"
    assert not same_regeneration(stored, moved) and not same_regeneration(stored, relabelled)


@pytest.mark.slow
def test_bank_regenerates_deterministically() -> None:
    """One cheap family's whole ladder, regenerated from scratch: the same runs and labels, the
    same losses up to the digits rounding decides (:func:`same_regeneration`)."""
    from autograder.assignments.ps2_diagnosing_curves import make_bank

    family = next(f for f in make_bank.HELDOUT if f.dataset == "wine" and f.epochs == 15)
    stored = [c for c in load_bank()["heldout"]["curves"] if c["seed"] == family.seed]
    (ladder,) = make_bank.run_ladders([family], workers=1)
    assert same_regeneration(stored, make_bank.labelled_curves(family, ladder))


def _cell_json(grade_id: str, name: str) -> dict:
    cell = next(c for c in source_nb().cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return json.loads(re.search(name + r" = (\{.*?\})", cell.source, flags=re.DOTALL).group(1))


def test_the_example_of_each_label_is_a_run_the_rules_call_so() -> None:
    from autograder.assignments.ps2_diagnosing_curves.make_bank import rule_labels

    examples = _cell_json("practice_examples", "EXAMPLES")
    by_id = {c["id"]: c for c in curves("practice")}
    ns = reference_namespace()
    assert list(examples) == list(load_bank()["labels"])
    for label, curve_id in examples.items():
        assert by_id[curve_id]["labels"] == [label] and set(rule_labels(ns, by_id[curve_id])) == {label}


def test_the_rules_fail_exercise_shows_runs_the_rules_get_wrong() -> None:
    rules_say = _cell_json("rules_fail_figures", "RULES_SAY")
    diagnose = reference_namespace()["diagnose"]
    by_id = {c["id"]: c for c in curves("practice")}
    assert len(rules_say) == 2
    for curve_id, said in rules_say.items():
        curve = by_id[curve_id]
        assert diagnose(curve["train_loss"], curve["val_loss"]) == said and said not in curve["labels"]


# --------------------------------------------------------------------------- notebook and release


def test_source_notebook_structure() -> None:
    nb = source_nb()
    setup = [c for c in nb.cells if is_setup_cell(c)]
    assert len(setup) == 1
    meta = setup[0].metadata["nbgrader"]
    assert meta["locked"] and not meta["solution"] and not meta["grade"] and meta["grade_id"]
    tests = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
             if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
    assert tuple(tests) == CHECK_IDS
    for grade_id, cell in tests.items():
        assert cell.metadata["nbgrader"]["points"] == PS2.checks_by_id[grade_id].points
        assert cell.source.endswith(
            "### BEGIN HIDDEN TESTS\nfrom autograder.assignments import run_in_kernel\n"
            f'run_in_kernel("{A}", "{grade_id}", globals())\n### END HIDDEN TESTS'
        )
    manual = [c for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")]
    assert [c.metadata["nbgrader"]["points"] for c in manual] == [10]
    assert sum(c.metadata.get("nbgrader", {}).get("points", 0) for c in nb.cells) == 100


def _state(path: Path) -> tuple[int, int] | None:
    """A file's size and modification time, or None when it does not exist."""
    return (path.stat().st_size, path.stat().st_mtime_ns) if path.exists() else None


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """A course copy with ps2 generated by nbgrader (release/ and gradebook), and its API:
    generated once for the release comparison and the real autograde run. The checkout's own
    gradebook (``make demo`` leaves one) must come out of it untouched."""
    before = _state(ROOT / "gradebook.db")
    course = assignment_course(tmp_path_factory.mktemp("ps2"), A)
    api = nbgrader_api(course)
    result = api.generate_assignment(A, force=True, create=True)
    assert result["success"], result.get("error")
    assert _state(ROOT / "gradebook.db") == before, "generating in the copy wrote the checkout's gradebook"
    return course, api


@pytest.mark.slow
def test_release_equals_nbgrader_regeneration(generated: tuple[Path, Any]) -> None:
    """generate_assignment is deterministic: cell ids, sources, metadata and checksums must match."""
    course, _ = generated
    fresh = course / "release" / A
    assert sorted(p.name for p in fresh.iterdir()) == sorted(p.name for p in RELEASE_DIR.iterdir())
    for path in fresh.iterdir():
        if path.suffix == ".ipynb":
            assert json.loads(path.read_text()) == json.loads((RELEASE_DIR / path.name).read_text())
        else:
            assert path.read_bytes() == (RELEASE_DIR / path.name).read_bytes()
    assert (course / "gradebook.db").is_file()  # the copy's own gradebook, not the checkout's


def test_release_holds_no_solution_hidden_test_or_heldout_curve() -> None:
    assert sorted(p.name for p in RELEASE_DIR.iterdir()) == ["practice_curves.json", f"{A}.ipynb"]
    text = (RELEASE_DIR / f"{A}.ipynb").read_text()
    for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "run_in_kernel", "autograder.",
                   "def _swings", "OVERFIT_RISE * val[m]", '"figure_c": "oscillating"', "memorising"):
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
def test_real_nbgrader_autograde_scores_source_full_and_blank_zero(generated: tuple[Path, Any]) -> None:
    from nbgrader.api import Gradebook

    course, api = generated
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
        assert auto == {grade_id: PS2.checks_by_id[grade_id].points for grade_id in CHECK_IDS}
        assert solution.score == AUTO_POINTS and solution.needs_manual_grade
        written = gb.find_grade("written_answer", A, A, "solution")
        written.manual_score = 10  # the instructor grades the written answer in formgrader
        gb.db.commit()
        assert gb.find_submission_notebook(A, A, "solution").score == 100
        assert blank.score == 0 and not any(math.isnan(g.score) for g in blank.grades)
