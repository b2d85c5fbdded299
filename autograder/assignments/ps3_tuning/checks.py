"""Hidden checks for ps3_tuning: find the rate, design the schedule, tune in a loop.

No number the submission reports is believed. The checks ask the student's process only for rates,
settings and traces as plain data, then judge them here:

* ``range_test``: its trace (rates and smoothed losses) against a trusted re-run of the same
  range test on the same seeded problem (lrlab's own ``lr_range_test``), twice in a row (a
  range test must start from a fresh model every time);
* ``suggest_lr``: on held-out real traces of other problems (``data.json`` here), a
  suggestion counts when its rule is the one it names and the rate lies in the band of rates
  a real sweep of that problem calls good;
* ``schedule``: the trusted side TRAINS the held-out seed of the notebook's Part 2 problem with
  exactly the rates returned, capped at the step budget, and credits reaching the target;
* ``next_trial``/``choose_lr``: the trusted side drives the loop for at most MAX_TRIALS trials
  on held-out sweeps the student's process never sees, answering each rate with that sweep's curves.

Messages say what failed and by how much, never a held-out trace, band or curve.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import random
from collections.abc import Callable
from typing import Any

import lrlab  # noqa: F401  (pins PyTorch's CPU numerics before the references compute)
from autograder.assignments.ps3_tuning.heldout import SWEEP_RATES, good_band, load_data, sweep
from autograder.checks import Check, CheckResult, Plain, Student, StudentError, as_float
from autograder.checks.runs import Problem, decode_values, train_with_rates

# Part 1: the range test (the notebook states the same numbers; a test keeps them in sync).
RANGE_MIN_LR, RANGE_MAX_LR, RANGE_STEPS = 1e-4, 10.0, 80
RANGE_PROBLEMS = (("digits", (64,), 64), ("wine", (32,), 16), ("breast_cancer", (32,), 32))
RANGE_REL = 1e-3  # smoothed losses: float32 training, the same operations in the same order
RULES = ("min/10", "steepest")
SUGGEST_FULL_MARKS = 0.75  # share of held-out traces in the good band that earns full marks

# Part 2: the schedule (calibrated by calibrate.py, this folder, on the held-out seed).
SCHEDULE_PRACTICE = Problem("digits", (256,), "sgd", 32, 3, 0)  # a wider network, smaller batches
SCHEDULE_HELDOUT_SEED = 7
SCHEDULE_TARGET = 0.07  # best validation loss; calibrated by calibrate.py
#: What calibrate.py measured on the held-out seed (the notebook quotes both; a test keeps them equal).
SCHEDULE_CALIBRATION = {"best_constant": 0.0808, "reference": 0.0576}
SCHEDULE_OPTIMIZERS = ("sgd",)  # the problem is set for SGD; the momentum is the student's choice
SCHEDULE_MAX_LR = 10.0

# Part 3: the tuning loop.
MAX_TRIALS = 8
LOOP_LOWEST, LOOP_HIGHEST = 1e-4 * (1 - 1e-9), 10 * (1 + 1e-9)  # MIN_LR and MAX_LR of the notebook, rounding allowed
STOP_SHARE = 0.2  # of each problem's credit: the loop stopped by itself within MAX_TRIALS


# --------------------------------------------------------------------------- shared


def _missing(*names: str) -> CheckResult:
    return CheckResult(0.0, (f"{' / '.join(names)} is not defined",), basics_ok=False)


def _floats(values: Plain) -> list[float] | None:
    """A list of plain numbers as floats (None when it is not one)."""
    if not isinstance(values, list):
        return None
    out = [as_float(v) for v in values]
    return None if any(v is None for v in out) else out  # type: ignore[misc]


# --------------------------------------------------------------------------- Part 1: range test


@functools.lru_cache(maxsize=8)
def reference_trace(dataset: str, hidden: tuple[int, ...], batch_size: int, seed: int) -> tuple[list[float], list[float]]:
    """lrlab's range test (lecture 5) on the problem the harness builds: SGD, a fresh seeded model."""
    import torch

    from lrlab.data import load_split, make_loaders
    from lrlab.models import mlp
    from lrlab.range_test import lr_range_test
    from lrlab.seed import seed_everything

    seed_everything(seed)
    split = load_split(dataset, seed=seed)
    torch.manual_seed(seed)
    model = mlp(split.n_features, split.n_classes, hidden)
    loader = make_loaders(split, batch_size=batch_size, seed=seed)[0]
    optimizer = torch.optim.SGD(model.parameters(), lr=RANGE_MIN_LR)
    with torch.enable_grad():
        result = lr_range_test(model, optimizer, loader, RANGE_MIN_LR, RANGE_MAX_LR, RANGE_STEPS)
    return result.lrs, result.smoothed


def trace_problems(expected: tuple[list[float], list[float]], got: Plain) -> list[str]:
    """What is wrong with a returned (lrs, losses) trace compared with the trusted one."""
    if not isinstance(got, list) or len(got) != 2:
        return ["range_test must return a pair (lrs, losses) of lists of numbers"]
    lrs, losses = _floats(got[0]), _floats(got[1])
    if lrs is None or losses is None or len(lrs) != len(losses):
        return ["range_test must return two lists of numbers of the same length"]
    ref_lrs, ref_losses = expected
    if len(lrs) != len(ref_lrs):
        return ["the test did not stop at the batch the stopping rule names (too early or too late)"]
    problems = []
    if not all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(lrs, ref_lrs)):
        problems.append("the rates are not the exponential ramp from min_lr to max_lr")
    finite = [(a, b) for a, b in zip(losses, ref_losses) if math.isfinite(b)]
    if not all(math.isfinite(a) and math.isclose(a, b, rel_tol=RANGE_REL) for a, b in finite):
        problems.append("the smoothed losses differ from a re-run of the same test")
    return problems


def check_range_test(student: Student, rng: random.Random) -> CheckResult:
    """The trace of two consecutive calls against the trusted re-run (half the credit each)."""
    if not student.has("range_test"):
        return _missing("range_test")
    dataset, hidden, batch_size = rng.choice(RANGE_PROBLEMS)
    seed = rng.randint(1, 10_000)
    traces = student.op("ps3_range_tests", dataset=dataset, hidden=list(hidden), seed=seed, batch_size=batch_size,
                        min_lr=RANGE_MIN_LR, max_lr=RANGE_MAX_LR, steps=RANGE_STEPS, repeat=2)
    expected = reference_trace(dataset, hidden, batch_size, seed)
    first, second = (trace_problems(expected, t) for t in traces)
    basics = isinstance(traces[0], list) and len(traces[0]) == 2 and all(isinstance(p, list) for p in traces[0])
    if first:
        return CheckResult(0.0, tuple(f"✗ {p}" for p in first), basics_ok=basics)
    if second:
        return CheckResult(0.5, ("✓ the first range test matches a trusted re-run",
                                 "✗ a second call gave a different trace: start every test from a fresh "
                                 "make_model() and a fresh optimizer"), basics_ok=basics)
    return CheckResult(1.0, ("✓ two range tests in a row match a trusted re-run",), basics_ok=basics)


def rule_rate(rule: str, lrs: list[float], losses: list[float]) -> float:
    """The rate a named rule picks from a trace (the notebook's definitions)."""
    finite = [(s, i) for i, s in enumerate(losses) if math.isfinite(s)]
    m = min(finite)[1]
    if rule == "min/10":
        return lrs[m] / 10
    if m < 1:
        return lrs[0]
    slopes = [(losses[i + 1] - losses[i]) / (math.log10(lrs[i + 1]) - math.log10(lrs[i])) for i in range(m)]
    return lrs[min(range(m), key=lambda i: slopes[i])]


def heldout_traces() -> list[tuple[list[float], list[float], tuple[float, float]]]:
    """(lrs, smoothed losses, good band) of every held-out problem."""
    return [(decode_values(p["trace"]["lrs"]), decode_values(p["trace"]["losses"]), good_band(p))
            for p in load_data()["problems"]]


def _suggestion(value: Plain | StudentError) -> tuple[float, str] | None:
    if not isinstance(value, list) or len(value) != 2:
        return None
    lr, rule = as_float(value[0]), value[1]
    if lr is None or type(rule) is not str or rule not in RULES or not math.isfinite(lr):
        return None
    return lr, rule


def check_suggest_lr(student: Student, rng: random.Random) -> CheckResult:
    """Held-out traces: in the sweep's good band, by the rule the answer names."""
    del rng  # every student gets every held-out trace
    if not student.has("suggest_lr"):
        return _missing("suggest_lr")
    traces = heldout_traces()
    answers = student.call_many("suggest_lr", [([lrs, losses], {}) for lrs, losses, _ in traces])
    hits = unusable = inconsistent = 0
    for (lrs, losses, (lo, hi)), answer in zip(traces, answers):
        got = _suggestion(answer)
        if got is None:
            unusable += 1
            continue
        lr, rule = got
        if not math.isclose(lr, rule_rate(rule, lrs, losses), rel_tol=1e-9):
            inconsistent += 1
            continue
        hits += lo <= lr <= hi
    share = hits / len(traces)
    messages = [f"{hits}/{len(traces)} held-out suggestions fall in the band of rates a real sweep calls good "
                f"(full marks from {100 * SUGGEST_FULL_MARKS:.0f} %)"]
    if unusable:
        messages.append(f"{unusable} answers were not a pair (finite rate, one of {', '.join(RULES)})")
    if inconsistent:
        messages.append(f"{inconsistent} rates are not what the rule named with them gives")
    return CheckResult(min(1.0, share / SUGGEST_FULL_MARKS), tuple(messages), basics_ok=unusable < len(traces))


# --------------------------------------------------------------------------- Part 2: schedule


def schedule_problem() -> Problem:
    """The held-out run of the notebook's Part 2 problem (same set-up, another seed)."""
    return dataclasses.replace(SCHEDULE_PRACTICE, seed=SCHEDULE_HELDOUT_SEED)


@functools.lru_cache(maxsize=1)
def schedule_budget() -> int:
    """Optimizer steps in Part 2's budget (epochs x batches per epoch)."""
    return SCHEDULE_PRACTICE.epochs * SCHEDULE_PRACTICE.steps_per_epoch()


@functools.lru_cache(maxsize=32)
def schedule_result(optimizer: str, momentum: float, rates: tuple[float, ...]) -> tuple[float, bool]:
    """(best validation loss at an epoch end, diverged) of the held-out run with these rates."""
    problem = dataclasses.replace(schedule_problem(), optimizer=optimizer, momentum=momentum)
    history = train_with_rates(problem, list(rates))
    return history.best_val_loss, history.diverged


def _optimizer_settings(value: Plain) -> tuple[tuple[str, float] | None, str]:
    if not isinstance(value, dict) or set(value) != {"name", "momentum"}:
        return None, 'OPTIMIZER must be a dict {"name": ..., "momentum": ...}'
    name, momentum = value["name"], as_float(value["momentum"])
    if type(name) is not str or name not in SCHEDULE_OPTIMIZERS:
        return None, f"OPTIMIZER name must be {' or '.join(SCHEDULE_OPTIMIZERS)}"
    if momentum is None or not 0 <= momentum < 1:
        return None, "momentum must be a number in [0, 1)"
    return (name, momentum), ""


def check_schedule(student: Student, rng: random.Random) -> CheckResult:
    """Train the held-out seed with exactly the returned rates; credit reaching the target."""
    del rng  # the same problem and seed for everyone
    if not (student.has("schedule") and student.has("OPTIMIZER")):
        return _missing("schedule", "OPTIMIZER")
    settings, problem = _optimizer_settings(student.get("OPTIMIZER"))
    if settings is None:
        return CheckResult(0.0, (f"✗ {problem}",), basics_ok=False)
    budget = schedule_budget()
    out = student.op("ps3_schedule_rates", total_steps=budget)
    if not isinstance(out, dict) or out.get("too_slow") is not False:
        return CheckResult(0.0, (f"✗ schedule took more than a second for the {budget} steps of the budget",))
    rates = _floats(out.get("rates"))
    if rates is None or len(rates) != budget or any(not (math.isfinite(r) and 0 <= r <= SCHEDULE_MAX_LR) for r in rates):
        return CheckResult(0.0, (f"✗ schedule must give a number in [0, {SCHEDULE_MAX_LR:g}] for every step 0 … {budget - 1}",),
                           basics_ok=False)
    if max(rates) == 0:
        return CheckResult(0.0, ("✗ a schedule that is 0 everywhere does not train",))
    loss, diverged = schedule_result(settings[0], settings[1], tuple(rates))
    if diverged or not math.isfinite(loss):
        return CheckResult(0.0, ("✗ training the held-out seed with your schedule diverged",))
    if loss <= SCHEDULE_TARGET:
        return CheckResult(1.0, (f"✓ held-out seed: best validation loss {loss:.4f} ≤ target {SCHEDULE_TARGET}",))
    return CheckResult(0.0, (f"✗ held-out seed: best validation loss {loss:.4f} is above the target {SCHEDULE_TARGET}",))


# --------------------------------------------------------------------------- Part 3: tuning loop


def snap(lr: float) -> int:
    """Index of the sweep rate nearest to ``lr`` on a log scale."""
    k = round(4 * math.log10(lr))
    return min(max(k + 16, 0), len(SWEEP_RATES) - 1)


def _run_loop(student: Student, runs: list[dict[str, Any]]) -> tuple[float, list[str]]:
    """Drive the loop on one held-out sweep; (credit in [0, 1], problems found)."""
    history: list[dict[str, Any]] = []
    stopped = False
    for trial in range(MAX_TRIALS + 1):
        try:
            proposal = student.call("next_trial", history)
        except StudentError as err:
            return 0.0, [f"next_trial raised {err}"]
        if proposal is None:
            stopped = True
            break
        if trial == MAX_TRIALS:  # it wanted more trials than the grader runs
            break
        lr = as_float(proposal)
        if lr is None or not math.isfinite(lr) or not LOOP_LOWEST <= lr <= LOOP_HIGHEST:
            return 0.0, ["next_trial returned something that is not a rate between 1e-4 and 10 (or None)"]
        run = runs[snap(lr)]
        history.append({"lr": run["lr"], "train_loss": run["train_loss"], "val_loss": run["val_loss"]})
    if not history:
        return 0.0, ["next_trial stopped before trying any rate"]
    try:
        chosen = as_float(student.call("choose_lr", history))
    except StudentError as err:
        return 0.0, [f"choose_lr raised {err}"]
    tried = [h["lr"] for h in history]
    if chosen is None or not any(math.isclose(chosen, t, rel_tol=1e-6) for t in tried):
        return 0.0, ["choose_lr must return one of the rates in history"]
    scores = [r["best_val"] if r["best_val"] is not None else math.inf for r in runs]
    distance = abs(snap(chosen) - min(range(len(runs)), key=lambda i: scores[i]))
    closeness = 1.0 if distance <= 1 else 0.5 if distance == 2 else 0.0
    notes = [] if stopped else [f"the loop did not stop within {MAX_TRIALS} trials"]
    if closeness < 1:
        notes.append(f"the rate chosen is {distance} sweep steps (quarter decades) from the sweep's best")
    return (1 - STOP_SHARE) * closeness + STOP_SHARE * stopped, notes


def check_tuning_loop(student: Student, rng: random.Random) -> CheckResult:
    """The loop on every held-out loop problem: closeness of the chosen rate, and stopping."""
    del rng
    if not (student.has("next_trial") and student.has("choose_lr")):
        return _missing("next_trial", "choose_lr")
    data = load_data()
    by_name = {p["name"]: p for p in data["problems"]}
    credits, notes = [], []
    for i, name in enumerate(data["loop"], start=1):
        credit, problems = _run_loop(student, sweep(by_name[name]))
        credits.append(credit)
        notes += [f"problem {i}: {p}" for p in problems]
    messages = [f"tuning loop: {sum(credits):.1f}/{len(credits)} on the held-out problems", *notes]
    return CheckResult(sum(credits) / len(credits), tuple(messages[:6]), basics_ok=True)


def _check(grade_id: str, points: float, title: str, run: Callable[..., CheckResult], cells: tuple[str, ...],
           forbidden: frozenset[str] = frozenset()) -> Check:
    return Check(grade_id=grade_id, points=points, title=title, run=run, answer_cells=cells, forbidden=forbidden)


#: lrlab's own range test and its suggestion rules (lecture 5) would answer Parts 1 for you.
FORBIDDEN_LRLAB = frozenset({"lr_range_test", "exponential_ramp", "RangeTestResult", "steepest_lr", "suggested_lr"})

CHECKS: list[Check] = [
    _check("test_range_test", 15, "range_test: trace against a trusted re-run", check_range_test,
           ("range_test_answer",), FORBIDDEN_LRLAB),
    _check("test_suggest_lr", 15, "suggest_lr: held-out traces", check_suggest_lr, ("suggest_lr_answer",),
           FORBIDDEN_LRLAB),
    _check("test_schedule", 25, "schedule: reach the target on a held-out seed", check_schedule, ("schedule_answer",)),
    _check("test_tuning_loop", 30, "tuning loop: held-out problems", check_tuning_loop, ("tuning_loop_answer",)),
]
"""Autograded checks (85 points); the written answer ``written_answer`` adds 15 manual points
(``assignment.py``)."""
