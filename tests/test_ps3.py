"""ps3_tuning: answer sets, Part 1's trusted range test and what is forbidden, Part 2's calibration,
Part 3's held-out histories and loops, the held-out data, the notebook's promises, the release."""
from __future__ import annotations

import json
import math
import random
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import nbformat
import pytest

from autograder import submissions
from autograder.assignments import get
from autograder.assignments.ps3_tuning import part2, reference
from autograder.assignments.ps3_tuning.calibrate import CALIBRATION_PATH
from autograder.assignments.ps3_tuning.checks import (
    FORBIDDEN_LRLAB,
    RANGE_BATCHES,
    RANGE_MAX_LR,
    RANGE_MIN_LR,
    RANGE_PROBLEMS,
    RANGE_RATES,
    SUGGEST_FULL_MARKS,
    check_tuning_loop,
    heldout_traces,
    reference_trace,
    trace_problems,
)
from autograder.assignments.ps3_tuning.harness import TRIPWIRES, problem_parts
from autograder.assignments.ps3_tuning.heldout import (
    CASE_KINDS,
    DATA_PATH,
    SWEEP_RATES,
    choose_cases,
    good_band,
    load_data,
    sweep,
)
from autograder.cells import is_setup_cell
from autograder.checks import LocalStudent, forbidden_uses
from autograder.checks.reference import run_program
from autograder.grading.scorer import score_report
from autograder.submissions import fill, parse_answers
from tests.conftest import ROOT, assignment_course, nbgrader_api
from tests.inprocess import InProcessSandbox, sample_namespace

A = "ps3_tuning"
RELEASE_DIR = ROOT / "release" / A
REDTEAM = ROOT / "tests" / "redteam" / A
CHECK_IDS = ("test_range_test", "test_suggest_lr", "test_schedule", "test_choose_lr", "test_tuning_loop")
AUTO_POINTS = 85  # + 15 manually graded points (written_answer) = 100
PS3 = get(A)
SOURCE_NOTEBOOK = PS3.source_notebook()
PRACTICE_FILE = "practice_runs.json"

# variant -> {check: expected share, or None for "less than full marks"}; every other check: full marks.
EXPECT: dict[str, dict[str, float | None]] = {
    "correct": {},
    "correct_alternative": {},
    "correct_lecture5_names": {},
    "correct_linear_schedule": {},
    "correct_momentum_schedule": {},
    "correct_ps2_loop": {},
    "correct_step_schedule": {},
    "partial": {"test_suggest_lr": 0.0, "test_schedule": 0.0, "test_tuning_loop": 0.8},
    "partial_exponential_schedule": {"test_schedule": None},
    "partial_lecture4_recipe": {"test_schedule": None},
    "partial_ps2_loop_stops_at_good": {"test_tuning_loop": 0.6},
    "wrong_choose_ignores_diverged": {"test_choose_lr": None},
    "wrong_choose_last_rate": {"test_choose_lr": None},
    "wrong_loop_ignores_validation": {"test_choose_lr": None, "test_tuning_loop": None},
    "wrong_loop_never_stops": {"test_tuning_loop": 0.8},
    "wrong_range_test_cycles_loader": {"test_range_test": 0.0},
    "wrong_range_test_lecture5": {"test_range_test": 0.0},
    "wrong_range_test_no_restore": {"test_range_test": 0.5},
    "wrong_schedule_too_high": {"test_schedule": 0.0},
    "wrong_suggest_at_minimum": {"test_suggest_lr": 0.0},
}


@lru_cache(maxsize=1)
def source_nb() -> nbformat.NotebookNode:
    return nbformat.read(SOURCE_NOTEBOOK, as_version=4)


def cell(grade_id: str) -> nbformat.NotebookNode:
    return next(c for c in source_nb().cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def markdown() -> str:
    return "\n".join(c.source for c in source_nb().cells if c.cell_type == "markdown")


def namespace(variant: str) -> dict:
    return sample_namespace(A, variant)


@lru_cache(maxsize=1)
def notebook_helpers() -> dict:
    """The source notebook's setup and read-only helper cells, run here as a student's kernel
    runs them (from the notebook's folder: they read practice_runs.json)."""
    import os

    keep = ("setup", "helpers", "try_schedule", "practice_sweep")
    program = [(c.metadata["nbgrader"]["grade_id"], c.source) for c in source_nb().cells
               if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade_id") in keep]
    here = os.getcwd()
    os.chdir(SOURCE_NOTEBOOK.parent)
    try:
        return run_program(program)
    finally:
        os.chdir(here)


# --------------------------------------------------------------------------- answer sets


def test_every_answer_set_is_in_the_expectation_table() -> None:
    assert set(submissions.variants(A)) == set(EXPECT)


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(EXPECT))
def test_variant_scores(variant: str) -> None:
    checks = PS3.checks_by_id
    assert tuple(checks) == CHECK_IDS and sum(c.points for c in checks.values()) == AUTO_POINTS
    ns = namespace(variant)
    for grade_id in checks:
        result = PS3.evaluate(grade_id, LocalStudent(ns, PS3.harness.operations))
        expected = EXPECT[variant].get(grade_id, 1.0)
        if expected is None:
            assert result.fraction < 1.0, (variant, grade_id, result)
        else:
            assert result.fraction == pytest.approx(expected), (variant, grade_id, result)
        assert all("\n" not in m and len(m) < 300 for m in result.messages)


@pytest.mark.slow
def test_honest_schedules_of_other_shapes_earn_near_full_marks_and_the_recipe_does_not() -> None:
    """Five honest shapes besides the reference's, each tuned on the practice seeds only: at
    least 80 % of Part 2 (most of them all of it); lecture 4's recipe as it stands: part of it."""
    shapes = ("correct_alternative", "correct_linear_schedule", "correct_momentum_schedule", "correct_step_schedule",
              "partial_exponential_schedule")
    for variant in shapes:
        result = PS3.evaluate("test_schedule", LocalStudent(namespace(variant), PS3.harness.operations))
        assert result.fraction >= 0.8, (variant, result)
    recipe = PS3.evaluate("test_schedule", LocalStudent(namespace("partial_lecture4_recipe"), PS3.harness.operations))
    assert 0.2 < recipe.fraction < 0.8, recipe


# --------------------------------------------------------------------------- Part 1: range test


def test_the_reference_range_test_gives_the_weights_back_and_restarts_the_loader() -> None:
    """The trusted staircase: the model ends as it began, a second call repeats the trace, and
    replaying the first pass (itertools.cycle) gives another trace."""
    import itertools

    import torch

    model, make_loader = problem_parts("digits", (64,), 5, 64)
    before = [p.detach().clone() for p in model.parameters()]
    first = reference.range_test(model, make_loader(), RANGE_MIN_LR, RANGE_MAX_LR, RANGE_RATES, RANGE_BATCHES)
    assert all(torch.equal(p, b) for p, b in zip(model.parameters(), before))
    assert reference.range_test(model, make_loader(), RANGE_MIN_LR, RANGE_MAX_LR, RANGE_RATES, RANGE_BATCHES) == first
    lrs, levels = first
    assert lrs == pytest.approx(reference.ramp(RANGE_MIN_LR, RANGE_MAX_LR, RANGE_RATES)[:len(lrs)], rel=1e-12)
    assert levels[-1] > reference.DIVERGE_FACTOR * min(levels[:-1]) or len(lrs) == RANGE_RATES
    assert all(level <= reference.DIVERGE_FACTOR * min(levels[:i]) for i, level in enumerate(levels[:-1]) if i)
    replayed = reference.range_test(model, itertools.cycle(make_loader()), RANGE_MIN_LR, RANGE_MAX_LR, RANGE_RATES,
                                    RANGE_BATCHES)
    assert trace_problems(first, [list(replayed[0]), list(replayed[1])])


def test_a_lying_trace_fails() -> None:
    """A trace is checked against the trusted re-run, never believed."""
    dataset, hidden, batch_size = RANGE_PROBLEMS[0]
    lrs, losses = reference_trace(dataset, hidden, batch_size, 3)
    assert trace_problems((lrs, losses), [list(lrs), list(losses)]) == []
    smooth_lie = [losses[0] * 0.99 ** i for i in range(len(lrs))]
    assert trace_problems((lrs, losses), [list(lrs), smooth_lie])
    assert trace_problems((lrs, losses), [list(lrs)[:-1], list(losses)[:-1]])
    assert trace_problems((lrs, losses), "not a trace")


def test_the_practice_trace_is_what_the_notebook_problem_gives() -> None:
    """The visible test compares a student's trace with PRACTICE_TRACE: the trusted range test
    on the notebook's own practice model and loader gives exactly it, with the visible test's
    settings."""
    ns = notebook_helpers()
    source = cell("test_range_test").source
    assert "range_test(model, practice_loader(), 1e-4, 10.0, 21, 4)" in source
    assert (RANGE_MIN_LR, RANGE_MAX_LR, RANGE_RATES, RANGE_BATCHES) == (1e-4, 10.0, 21, 4)
    lrs, levels = reference.range_test(ns["practice_model"](), ns["practice_loader"](), 1e-4, 10.0, 21, 4)
    assert lrs == ns["PRACTICE_TRACE"]["lrs"] and levels == ns["PRACTICE_TRACE"]["losses"]


def test_the_rules_and_bands() -> None:
    """The reference's suggestions land in every good band; the rate at the minimum, which no rule
    names, in fewer than the full-marks share."""
    traces = heldout_traces()
    ns = namespace("correct")
    reference_rates = [ns["suggest_lr"](lrs, losses)[0] for lrs, losses, _ in traces]
    at_min = [reference.rule_rate("min/10", lrs, losses) * 10 for lrs, losses, _ in traces]
    inside = lambda rates: sum(lo <= r <= hi for r, (_, _, (lo, hi)) in zip(rates, traces)) / len(traces)  # noqa: E731
    assert inside(reference_rates) == 1.0 and inside(at_min) < SUGGEST_FULL_MARKS
    for lrs, losses, _ in traces:
        for rule in reference.RULES:
            assert min(lrs) <= reference.rule_rate(rule, lrs, losses) <= max(lrs)


def test_the_visible_suggest_test_needs_no_range_test() -> None:
    """Validate, the kernel and the sealed scorer agree on suggest_lr when range_test is
    unfinished: its visible test reads the shipped practice trace, never the student's."""
    source = cell("test_suggest_lr").source.split("### BEGIN HIDDEN TESTS")[0]
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))
    assert "range_test" not in code and "practice_lrs" not in code
    ns = {**notebook_helpers(), "suggest_lr": namespace("correct")["suggest_lr"]}
    assert "range_test" not in ns
    exec(compile(source, "<test_suggest_lr>", "exec"), ns)  # noqa: S102 - the notebook's own visible test


# --------------------------------------------------------------------------- what Part 1 forbids


def test_lrlab_ships_a_range_test_and_no_reading_of_it() -> None:
    """The graded rules and the trusted range test live with the grader, not in lrlab."""
    text = (ROOT / "lrlab" / "range_test.py").read_text()
    for name in ("suggested_lr", "steepest_lr", "lr_at_min_loss", "batches_per_rate", "staircase"):
        assert name not in text, name
    assert "lrlab.range_test" in FORBIDDEN_LRLAB and set(TRIPWIRES["lrlab.range_test"]) <= FORBIDDEN_LRLAB


def test_forbidden_is_a_use_of_lrlabs_range_test_never_a_name() -> None:
    """Imports, attributes and spelled-out names of lrlab.range_test void Part 1's checks; the
    student's own names (lecture 5's among them) never do."""
    uses = {
        "import lrlab.range_test": ["lrlab.range_test"],
        "import lrlab.range_test as rt": ["lrlab.range_test"],
        "from lrlab.range_test import _run": ["lrlab.range_test"],
        "from lrlab import range_test": ["lrlab.range_test"],
        "from lrlab.range_test import *": ["lrlab.range_test"],
        # the function shares the module's last name: the module, which covers it, is reported
        "from lrlab.range_test import range_test": ["lrlab.range_test"],
        "rt.range_test(start_lr=1e-4)": ["lrlab.range_test"],
        "x = lrlab.range_test.range_test()": ["lrlab.range_test"],
        "f = getattr(lrlab, 'range_test')": ["lrlab.range_test"],
        "m = importlib.import_module('lrlab.range_test')": ["lrlab.range_test"],
        "r = lrlab.range_test.RangeTestResult([], [], [], False)": ["RangeTestResult", "lrlab.range_test"],
    }
    for source, expected in uses.items():
        assert forbidden_uses(source, FORBIDDEN_LRLAB) == expected, source
    innocent = ("def range_test(model, loader):\n    return range_test\n"
                "suggested_lr = steepest_lr = lr_at_min_loss = 0.1\n"
                "RangeTestResult = tuple\nresult = RangeTestResult([1])\n"
                "import lrlab\nfrom lrlab.train import History\nprint('range test done')\n")
    assert forbidden_uses(innocent, FORBIDDEN_LRLAB) == []


def test_the_notebook_lists_exactly_what_is_forbidden() -> None:
    intro = source_nb().cells[0].source
    rule = intro.split("**Not allowed in Part 1: lrlab's own range test.**")[1].split("\n* ")[0]
    named = set(re.findall(r"`[^`]+`", rule))
    assert {"`lrlab.range_test`"} | {f"`lrlab.range_test.{n}`" for n in TRIPWIRES["lrlab.range_test"]} <= named
    assert "`suggested_lr`" in rule and "`steepest_lr`" in rule  # named as allowed own names
    for check in PS3.checks:
        part1 = check.grade_id in ("test_range_test", "test_suggest_lr")
        assert check.forbidden == (FORBIDDEN_LRLAB if part1 else frozenset()), check.grade_id


def _redteam(name: str) -> dict[str, str]:
    parent, own = parse_answers((REDTEAM / f"{name}.py").read_text())
    return {**submissions.answers(A, parent), **own}


@pytest.mark.slow
@pytest.mark.parametrize("attack, voided", [
    ("lrlab_range_test_import", "test_range_test"),
    ("lrlab_range_test_at_run_time", "test_range_test"),
    ("lrlab_result_at_run_time", "test_suggest_lr"),
    ("lrlab_at_run_time", "test_range_test"),
])
def test_lrlabs_range_test_voids_only_the_check_that_uses_it(attack: str, voided: str) -> None:
    """Found in the source or, for names built at run time, by the tripwire on lrlab's range test
    function and result class (the scorer with the tripwire armed, in this process)."""
    release = submissions.release_notebook(A)
    report = score_report(PS3, release, fill(release, _redteam(attack)), InProcessSandbox())
    scores = {c.grade_id: c for c in report.checks}
    assert scores[voided].score == 0 and scores[voided].reason is not None, scores[voided]
    assert scores["test_schedule"].score == scores["test_schedule"].points
    assert any(voided in flag for flag in report.flags), report.flags


# --------------------------------------------------------------------------- Part 2


def test_the_notebook_states_part_2_as_the_grader_runs_it() -> None:
    """Budget, grid, anchors, target, seeds count and the practice numbers: the notebook's are
    the grader's, and the held-out seeds are nowhere in it."""
    setup = next(c for c in source_nb().cells if is_setup_cell(c)).source
    assert f"BUDGET_STEPS = {part2.budget()}" in setup
    text = markdown()
    best = part2.BEST_CONSTANT
    target = best["heldout"] - part2.REQUIRED_IMPROVEMENT
    for quoted in (f"**{best['heldout']}**", f"**{part2.REQUIRED_IMPROVEMENT}**", f"({target:.4f})",
                   f"**{len(part2.HELDOUT_SEEDS)} held-out seeds**", ", ".join(f"{r:g}" for r in part2.GRID),
                   "**6 epochs = 564 optimizer steps**", "**mini-batches of 32**", "(256 hidden units)"):
        assert quoted in text, quoted
    table = json.loads(CALIBRATION_PATH.read_text())
    means = {lr: round(sum(table[f"constant {lr:g}"][str(s)] for s in part2.PRACTICE_SEEDS) / len(part2.PRACTICE_SEEDS), 4)
             for lr in part2.GRID}
    row = text.split("| mean final validation loss, practice seeds |")[1].split("\n")[0]
    assert [float(x.strip(" *")) for x in row.split("|") if x.strip()] == [means[lr] for lr in part2.GRID]
    assert means[best["rate"]] == best["practice"] == min(means.values())
    # how well the practice seeds predict the held-out ones, as the notebook quotes it
    from autograder.assignments.ps3_tuning.calibrate import SHAPES, candidates, summarise

    schedules = candidates()
    rows = {name: {int(s): v for s, v in row.items()} for name, row in table.items()}
    summary = summarise(rows, {name: shape for name, (shape, _) in schedules.items()})
    gains = [(summary["practice"]["constant 0.2"] - summary["practice"][n])
             - (summary["heldout"]["constant 0.2"] - summary["heldout"][n]) for n in rows]
    assert f"We trained {len(schedules)} schedules" in text and "five honest shapes" in text and len(SHAPES) == 5
    assert f"(rank\ncorrelation {summary['spearman']:.2f})" in text
    assert f"by {sum(gains) / len(gains):.3f} on\naverage, by at most {math.ceil(100 * max(map(abs, gains))) / 100:.2f}" in text
    helpers = cell("try_schedule").source
    assert f"BEST_CONSTANT_RATE, BEST_CONSTANT_PRACTICE = {best['rate']}, {best['practice']}" in helpers
    assert f"REQUIRED_IMPROVEMENT = {part2.REQUIRED_IMPROVEMENT}" in helpers
    assert f"PRACTICE_SEEDS = {part2.PRACTICE_SEEDS}" in helpers
    released = (RELEASE_DIR / f"{A}.ipynb").read_text()
    for seed in part2.HELDOUT_SEEDS:
        assert not re.search(rf"\b{seed}\b", released), seed


@pytest.mark.slow
def test_try_schedule_trains_the_practice_seeds_as_the_grader_trains() -> None:
    """The notebook's helper (on one practice seed, to save time) gives the grader's numbers."""
    ns = notebook_helpers()
    correct = namespace("correct")
    seeds, ns["PRACTICE_SEEDS"] = ns["PRACTICE_SEEDS"], part2.PRACTICE_SEEDS[-1:]
    try:
        runs = ns["try_schedule"](correct["schedule"], correct["OPTIMIZER"])
    finally:
        ns["PRACTICE_SEEDS"] = seeds
    rates = tuple(float(correct["schedule"](k)) for k in range(part2.budget()))
    assert [h.val_loss[-1] for h in runs] == [part2.final_loss(0.0, rates, part2.PRACTICE_SEEDS[-1])]


def test_credit_is_linear_between_the_best_constant_and_the_target() -> None:
    best = part2.BEST_CONSTANT["heldout"]
    assert part2.credit(best) == part2.credit(best + 0.5) == part2.credit(None) == part2.credit(math.nan) == 0
    assert part2.credit(best - part2.REQUIRED_IMPROVEMENT / 2) == pytest.approx(0.5)
    assert part2.credit(best - part2.REQUIRED_IMPROVEMENT) == part2.credit(0.0) == 1


@pytest.mark.slow
def test_calibration_goals_hold_and_the_table_is_genuine() -> None:
    """calibrate.py --check: the stored table meets every goal (honest shapes tuned on the practice
    seeds >= 80 %, constants <= 20 %, practice predicts held-out, the quoted anchors), and the
    constants and tuned schedules re-train to the stored numbers."""
    result = subprocess.run([sys.executable, "-m", "autograder.assignments.ps3_tuning.calibrate", "--check"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout and "as stored" in result.stdout


# --------------------------------------------------------------------------- Part 3


def test_choose_cases_cover_every_kind_and_trap_the_careless_reading() -> None:
    cases = choose_cases()
    assert {kind for kind, _, _ in cases} == set(CASE_KINDS)
    for _, history, best in cases:
        assert history and best and all(set(run) == {"lr", "train_loss", "val_loss", "diverged"} for run in history)
        assert set(best) <= {run["lr"] for run in history}
    for _, history, best in (c for c in cases if c[0] == "diverged"):
        careless = min(history, key=lambda r: min((v for v in r["val_loss"] if math.isfinite(v)), default=math.inf))
        assert careless["diverged"] and careless["lr"] not in best
    assert all(len(best) > 1 for kind, _, best in cases if kind == "tied")
    assert len({json.dumps(h) for _, h, _ in cases}) == len(cases)
    assert sum(history[-1]["lr"] in best for _, history, best in cases) <= len(cases) // 4  # not simply the last


def test_the_data_flags_divergence_with_lrlabs_one_definition() -> None:
    from lrlab.train import is_diverged_loss

    diverged_with_finite_curves = 0
    for entry in load_data()["problems"]:
        for run in sweep(entry):
            losses = run["train_loss"] + run["val_loss"]
            assert run["diverged"] == any(is_diverged_loss(v) for v in losses), (entry["name"], run["lr"])
            assert (run["best_val"] is None) == run["diverged"]
            diverged_with_finite_curves += run["diverged"] and all(math.isfinite(v) for v in losses)
    assert diverged_with_finite_curves >= 10  # the flag says what the curves alone do not
    practice = json.loads((SOURCE_NOTEBOOK.parent / PRACTICE_FILE).read_text())
    assert all(set(run) == {"lr", "train_loss", "val_loss", "diverged"} for run in practice["sweep"]["runs"])


PS2_LOOP = ("partial_ps2_loop_stops_at_good", "correct_ps2_loop")


@pytest.mark.parametrize("start", [1e-3, 1e-2, 0.1])
def test_the_notebooks_figures_for_a_loop_built_on_problem_set_2(start: float) -> None:
    """Part 3 says a loop that stops at problem set 2's first good run earned 9 to 12 of the 20
    points whatever its first rate, and the same loop refining around its best run all 20."""
    text = markdown()
    assert "earned 9 to 12 of the 20 points, whatever its first rate" in text and "earned all 20" in text
    points = {}
    for variant in PS2_LOOP:
        cell_source = submissions.answers(A, variant)["tuning_loop_answer"].replace("return 1e-2\n", f"return {start!r}\n")
        assert f"return {start!r}" in cell_source
        ns = dict(namespace(variant))
        exec(compile(cell_source, "<tuning_loop_answer>", "exec"), ns)  # noqa: S102 - a trusted answer set
        points[variant] = round(20 * check_tuning_loop(LocalStudent(ns), random.Random(0)).fraction, 1)
    assert 9 <= points[PS2_LOOP[0]] <= 12 and points[PS2_LOOP[1]] == 20, points


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
    from autograder.assignments.ps3_tuning.make_data import PRACTICE, PROBLEMS

    def setting(p):  # everything but the seed
        return (p.dataset, p.hidden, p.optimizer, p.momentum, p.batch_size, p.epochs, p.n_train)

    notebook = {setting(part2.PROBLEM), setting(PRACTICE)}
    assert not {setting(p) for p in PROBLEMS} & notebook
    assert not any(p.dataset == "digits" and p.hidden == (64,) and p.n_train is None for p in PROBLEMS)  # Part 1's


@pytest.mark.slow
def test_data_regenerates_deterministically() -> None:
    """One problem's trace and three of its sweep runs, regenerated from scratch."""
    from autograder.assignments.ps3_tuning.make_data import PROBLEMS, constant_run, range_trace

    problem = PROBLEMS[0]
    stored = next(p for p in load_data()["problems"] if p["name"] == problem.name)
    assert range_trace(problem) == stored["trace"]
    for k in (0, 8, 20):
        run = constant_run((problem, SWEEP_RATES[k]))
        assert {key: v for key, v in run.items() if key != "initial_val"} == stored["sweep"][k]


# --------------------------------------------------------------------------- notebook and release


def test_the_notebook_states_its_rules() -> None:
    """What a student must know to be graded fairly is written where they read it."""
    text = markdown()
    for promise in (
        "exactly these two keys",  # OPTIMIZER
        "`itertools.cycle(loader)`",  # the loader rule
        "give the weights back",
        "**less than 1 second**",  # schedule's speed
        "**How the visible tests score.**",
        "The visible tests of one answer never need another answer",
        "`diverged` is lrlab's own verdict",
    ):
        assert promise in text, promise
    assert "calibrate.py" not in text and "autograder/" not in text
    schedule_test = cell("test_schedule").source
    assert 'set(OPTIMIZER) == {"name", "momentum"}' in schedule_test


def test_source_notebook_structure() -> None:
    nb = source_nb()
    setup = [c for c in nb.cells if is_setup_cell(c)]
    assert len(setup) == 1
    tests = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
             if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
    assert tuple(tests) == CHECK_IDS
    for grade_id, test_cell in tests.items():
        assert test_cell.metadata["nbgrader"]["points"] == PS3.checks_by_id[grade_id].points
        assert test_cell.source.endswith(
            "### BEGIN HIDDEN TESTS\nfrom autograder.assignments import run_in_kernel\n"
            f'run_in_kernel("{A}", "{grade_id}", globals())\n### END HIDDEN TESTS'
        )
    manual = [c for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")]
    assert [c.metadata["nbgrader"]["points"] for c in manual] == [15]
    assert sum(c.metadata.get("nbgrader", {}).get("points", 0) for c in nb.cells) == 100


@pytest.mark.slow
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
    assert sorted(p.name for p in RELEASE_DIR.iterdir()) == [PRACTICE_FILE, f"{A}.ipynb"]
    text = (RELEASE_DIR / f"{A}.ipynb").read_text()
    for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "run_in_kernel", "autograder.", "def _steepest",
                   "PEAK = 0.8"):
        assert secret not in text, secret
    released = text + (RELEASE_DIR / PRACTICE_FILE).read_text()
    for entry in load_data()["problems"]:
        assert entry["name"] not in released
    practice = json.loads((RELEASE_DIR / PRACTICE_FILE).read_text())
    heldout_runs = {tuple(r["val_loss"]) for p in load_data()["problems"] for r in p["sweep"]}
    assert not {tuple(r["val_loss"]) for r in practice["sweep"]["runs"]} & heldout_runs


def test_the_publish_gate_guards_the_heldout_problems() -> None:
    """Their names label every entry of data.json, and their traces are the data suggest_lr is
    judged on: a copy of either in the student tree stops the publish."""
    from autograder.course import Course
    from autograder.leaks import course_secrets, scan_text

    held = PS3.held_out()
    problems = load_data()["problems"]
    assert held.ids == {p["name"] for p in problems} and len(held.series) == len(problems)
    secrets = course_secrets(Course(ROOT))
    trace = problems[0]["trace"]["losses"]
    pasted = "levels = [" + ", ".join(str(v) for v in trace[:6]) + "]"
    assert [leak.kind for leak in scan_text("course/x.ipynb", pasted, secrets)] == ["bank curve"]
    assert scan_text("course/x.ipynb", f"see {problems[0]['name']}", secrets)
