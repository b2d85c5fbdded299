"""ps3_tuning: answer sets, held-out data, calibration quotes, release and real nbgrader grading."""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import nbformat
import pytest

from autograder import submissions
from autograder.assignments import get
from autograder.assignments.ps3_tuning.checks import (
    RULES,
    SCHEDULE_CALIBRATION,
    SCHEDULE_TARGET,
    heldout_traces,
    rule_rate,
    trace_problems,
)
from autograder.assignments.ps3_tuning.heldout import DATA_PATH, SWEEP_RATES, good_band, load_data, sweep
from autograder.cells import is_setup_cell
from autograder.checks import LocalStudent
from tests.conftest import ROOT, assignment_course, nbgrader_api
from tests.inprocess import sample_namespace

A = "ps3_tuning"
RELEASE_DIR = ROOT / "release" / A
CHECK_IDS = ("test_range_test", "test_suggest_lr", "test_schedule", "test_tuning_loop")
AUTO_POINTS = 85  # + 15 manually graded points (written_answer) = 100
STUDENTS = ("instructor", "alice")
PS3 = get(A)
SOURCE_NOTEBOOK = PS3.source_notebook()

# variant -> checks it must LOSE points on; every other check: full marks.
EXPECT: dict[str, set[str]] = {
    "correct": set(),
    "correct_alternative": set(),
    "partial": {"test_suggest_lr", "test_schedule", "test_tuning_loop"},
    "wrong_range_test_no_reset": {"test_range_test"},
    "wrong_suggest_at_minimum": {"test_suggest_lr"},
    "wrong_schedule_no_warmup": {"test_schedule"},
    "wrong_loop_never_stops": {"test_tuning_loop"},
    "wrong_loop_ignores_validation": {"test_tuning_loop"},
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
    checks = PS3.checks_by_id
    assert tuple(checks) == CHECK_IDS and sum(c.points for c in checks.values()) == AUTO_POINTS
    ns = namespace(variant)
    for student in STUDENTS:
        for grade_id, check in checks.items():
            result = PS3.evaluate(grade_id, LocalStudent(ns, PS3.harness.operations))
            if grade_id in EXPECT[variant]:
                assert result.fraction < 1.0, (variant, student, grade_id, result)
            else:
                assert result.fraction == 1.0, (variant, student, grade_id, result)
            assert all("\n" not in m and len(m) < 300 for m in result.messages)


# --------------------------------------------------------------------------- Part 1


def test_a_lying_trace_fails() -> None:
    """A trace is checked against the trusted re-run, never believed."""
    from autograder.assignments.ps3_tuning.checks import RANGE_PROBLEMS, reference_trace

    dataset, hidden, batch_size = RANGE_PROBLEMS[0]
    lrs, losses = reference_trace(dataset, hidden, batch_size, 3)
    assert trace_problems((lrs, losses), [list(lrs), list(losses)]) == []
    smooth_lie = [losses[0] * 0.99 ** i for i in range(len(lrs))]
    assert trace_problems((lrs, losses), [list(lrs), smooth_lie])
    assert trace_problems((lrs, losses), [list(lrs)[:-1], list(losses)[:-1]])
    assert trace_problems((lrs, losses), "not a trace")


def test_the_rules_and_bands_are_far_apart() -> None:
    """The reference's suggestions land in the good bands; the rate at the minimum mostly does not."""
    from autograder.assignments.ps3_tuning.checks import SUGGEST_FULL_MARKS

    traces = heldout_traces()
    reference = [namespace("correct")["suggest_lr"](lrs, losses)[0] for lrs, losses, _ in traces]
    at_min = [rule_rate("min/10", lrs, losses) * 10 for lrs, losses, _ in traces]
    inside = lambda rates: sum(lo <= r <= hi for r, (_, _, (lo, hi)) in zip(rates, traces)) / len(traces)  # noqa: E731
    assert inside(reference) >= SUGGEST_FULL_MARKS > inside(at_min) + 0.3
    for rule in RULES:
        assert all(min(lrs) <= rule_rate(rule, lrs, losses) * 10 ** (rule == "min/10") for lrs, losses, _ in traces)


# --------------------------------------------------------------------------- held-out data


def test_data_is_compact_and_whole() -> None:
    assert DATA_PATH.stat().st_size < 1_000_000
    data = load_data()
    json.loads(DATA_PATH.read_text(), parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
    assert len(data["sweep_rates"]) == len(SWEEP_RATES)
    assert all(math.isclose(a, b, rel_tol=1e-5) for a, b in zip(data["sweep_rates"], SWEEP_RATES))  # 6 digits stored
    names = [p["name"] for p in data["problems"]]
    assert len(set(names)) == len(names) and set(data["loop"]) <= set(names)
    for entry in data["problems"]:
        assert len(entry["sweep"]) == len(SWEEP_RATES)
        lo, hi = good_band(entry)
        assert lo <= hi and hi / lo < 1000, entry["name"]


def test_loop_problems_separate_training_and_validation() -> None:
    """On at least one loop problem the rate with the lowest final training loss is not within
    a quarter decade of the one with the lowest validation loss (a loop must read validation)."""
    data = load_data()
    by_name = {p["name"]: p for p in data["problems"]}
    gaps = []
    for name in data["loop"]:
        runs = sweep(by_name[name])
        finite = [i for i, r in enumerate(runs) if r["best_val"] is not None]
        by_val = min(finite, key=lambda i: runs[i]["best_val"])
        by_train = min(finite, key=lambda i: runs[i]["train_loss"][-1])
        gaps.append(abs(by_val - by_train))
    assert max(gaps) >= 2, gaps


def test_heldout_problems_are_not_the_notebook_problems() -> None:
    from autograder.assignments.ps3_tuning.checks import SCHEDULE_PRACTICE
    from autograder.assignments.ps3_tuning.make_data import PRACTICE, PROBLEMS

    def setting(p):  # everything but the seed
        return (p.dataset, p.hidden, p.optimizer, p.momentum, p.batch_size, p.epochs, p.n_train)

    notebook = {setting(SCHEDULE_PRACTICE), setting(PRACTICE)}
    assert not {setting(p) for p in PROBLEMS} & notebook
    assert not any(p.dataset == "digits" and p.hidden == (64,) and p.n_train is None for p in PROBLEMS)  # Part 1's


def test_data_regenerates_deterministically() -> None:
    """One problem's trace and three of its sweep runs, regenerated from scratch."""
    from autograder.assignments.ps3_tuning.make_data import PROBLEMS, constant_run, range_trace

    problem = PROBLEMS[0]
    stored = next(p for p in load_data()["problems"] if p["name"] == problem.name)
    assert range_trace(problem) == stored["trace"]
    for k in (0, 8, 16):
        run = constant_run((problem, SWEEP_RATES[k]))
        assert {key: v for key, v in run.items() if key != "initial_val"} == stored["sweep"][k]


# --------------------------------------------------------------------------- notebook and release


def test_the_notebook_quotes_the_calibration() -> None:
    """Part 2's numbers in the notebook are the ones calibrate.py measured (and the target)."""
    text = " ".join(c.source for c in source_nb().cells if c.cell_type == "markdown")
    assert SCHEDULE_CALIBRATION["best_constant"] > SCHEDULE_TARGET >= SCHEDULE_CALIBRATION["reference"]
    for value in (SCHEDULE_TARGET, SCHEDULE_CALIBRATION["best_constant"], SCHEDULE_CALIBRATION["reference"]):
        assert f"**{value}**" in text, value


def test_the_reference_schedule_reaches_the_target_and_warmup_matters() -> None:
    from autograder.assignments.ps3_tuning.checks import schedule_budget, schedule_result

    ns = namespace("correct")
    rates = tuple(float(ns["schedule"](k)) for k in range(schedule_budget()))
    loss, diverged = schedule_result(ns["OPTIMIZER"]["name"], float(ns["OPTIMIZER"]["momentum"]), rates)
    assert not diverged and round(loss, 4) == SCHEDULE_CALIBRATION["reference"]


def test_source_notebook_structure() -> None:
    nb = source_nb()
    setup = [c for c in nb.cells if is_setup_cell(c)]
    assert len(setup) == 1
    tests = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
             if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
    assert tuple(tests) == CHECK_IDS
    for grade_id, cell in tests.items():
        assert cell.metadata["nbgrader"]["points"] == PS3.checks_by_id[grade_id].points
        assert cell.source.endswith(
            "### BEGIN HIDDEN TESTS\nfrom autograder.assignments import run_in_kernel\n"
            f'run_in_kernel("{A}", "{grade_id}", globals())\n### END HIDDEN TESTS'
        )
    manual = [c for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")]
    assert [c.metadata["nbgrader"]["points"] for c in manual] == [15]
    assert sum(c.metadata.get("nbgrader", {}).get("points", 0) for c in nb.cells) == 100


def test_release_equals_nbgrader_regeneration(tmp_path: Path) -> None:
    course = assignment_course(tmp_path, A)
    result = nbgrader_api(course).generate_assignment(A, force=True, create=True)
    assert result["success"], result.get("error")
    fresh = course / "release" / A
    assert sorted(p.name for p in fresh.iterdir()) == sorted(p.name for p in RELEASE_DIR.iterdir())
    for path in fresh.iterdir():
        if path.suffix == ".ipynb":
            assert json.loads(path.read_text()) == json.loads((RELEASE_DIR / path.name).read_text())
        else:
            assert path.read_bytes() == (RELEASE_DIR / path.name).read_bytes()


def test_release_holds_no_solution_hidden_test_or_heldout_data() -> None:
    assert sorted(p.name for p in RELEASE_DIR.iterdir()) == ["practice_sweep.json", f"{A}.ipynb"]
    text = (RELEASE_DIR / f"{A}.ipynb").read_text()
    for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "run_in_kernel", "autograder.", "def _steepest"):
        assert secret not in text, secret
    released = text + (RELEASE_DIR / "practice_sweep.json").read_text()
    for entry in load_data()["problems"]:
        assert entry["name"] not in released
    practice = json.loads((RELEASE_DIR / "practice_sweep.json").read_text())
    heldout_runs = {tuple(r["val_loss"]) for p in load_data()["problems"] for r in p["sweep"]}
    assert not {tuple(r["val_loss"]) for r in practice["runs"]} & heldout_runs
