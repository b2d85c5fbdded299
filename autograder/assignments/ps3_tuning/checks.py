"""Hidden checks for ps3_tuning: find the rate, design the schedule, tune in a loop.

No number the submission reports is believed. The checks ask the student's process only for rates,
settings, traces and choices as plain data, then judge them here:

* ``range_test``: its trace (rates and levels) against a trusted re-run of the notebook's
  staircase range test (``reference.py``) on the same seeded model and loader, for two calls
  in a row on the same model (a range test must give the model's weights back);
* ``suggest_lr``: on held-out real traces of other problems (``data.json``), a suggestion
  counts when its rule is the one it names and the rate lies in the band of rates a real
  sweep of that problem calls good;
* ``schedule``: the trusted side TRAINS Part 2's problem on held-out seeds with exactly the
  rates returned (``part2.py``) and credits the mean final validation loss, linearly between
  the best constant rate's and the target;
* ``choose_lr``: on fixed held-out histories (``heldout.choose_cases``), with diverged and
  tied runs, whether it names a rate with the lowest validation loss;
* ``next_trial``: the trusted side drives the loop for at most MAX_TRIALS trials on held-out
  sweeps the student's process never sees, answering each rate with that sweep's curves.

Messages say what failed and by how much, never a held-out trace, band, curve or seed.
"""
from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable
from typing import Any

import lrlab  # noqa: F401  (pins PyTorch's CPU numerics before the references compute)
from autograder.assignments.ps3_tuning import part2, reference
from autograder.assignments.ps3_tuning.harness import TRIPWIRES, problem_parts
from autograder.assignments.ps3_tuning.heldout import (
    CASE_KINDS,
    SWEEP_RATES,
    choose_cases,
    good_band,
    load_data,
    score,
    shown,
    sweep,
)
from autograder.checks import Check, CheckResult, Plain, Student, StudentError, as_float
from autograder.checks.runs import decode_values

# Part 1: the range test (the notebook states the same numbers; a test keeps them in sync).
RANGE_MIN_LR, RANGE_MAX_LR, RANGE_RATES, RANGE_BATCHES = 1e-4, 10.0, 21, 4
RANGE_PROBLEMS = (("digits", (64,), 64), ("wine", (32,), 16), ("breast_cancer", (32,), 32))
RANGE_REL = 1e-3  # levels: float32 training, the same operations in the same order
SUGGEST_FULL_MARKS = 0.75  # share of held-out traces in the good band that earns full marks

# Part 2: the schedule (part2.py; calibrated by calibrate.py).
SCHEDULE_SECONDS = 1.0  # the harness's budget for asking schedule() for every step

# Part 3: choose_lr and the tuning loop.
MAX_TRIALS = 8
LOOP_LOWEST, LOOP_HIGHEST = 1e-4 * (1 - 1e-9), 10 * (1 + 1e-9)  # MIN_LR and MAX_LR of the notebook, rounding allowed
STOP_SHARE = 0.2  # of each loop problem's credit: the loop stopped by itself within MAX_TRIALS

#: lrlab's own range test (lecture 5) must not stand in for Part 1's answers: its module, and the
#: function and result class the tripwire of harness.py watches at run time.
FORBIDDEN_LRLAB = frozenset({"lrlab.range_test", *TRIPWIRES["lrlab.range_test"]})


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
    """The notebook's range test, re-run here on the model and loader the harness builds."""
    model, make_loader = problem_parts(dataset, hidden, seed, batch_size)
    return reference.range_test(model, make_loader(), RANGE_MIN_LR, RANGE_MAX_LR, RANGE_RATES, RANGE_BATCHES)


def trace_problems(expected: tuple[list[float], list[float]], got: Plain) -> list[str]:
    """What is wrong with a returned (lrs, losses) trace compared with the trusted one."""
    if not isinstance(got, list) or len(got) != 2:
        return ["range_test must return a pair (lrs, losses) of lists of numbers"]
    lrs, losses = _floats(got[0]), _floats(got[1])
    if lrs is None or losses is None or len(lrs) != len(losses):
        return ["range_test must return two lists of numbers of the same length"]
    ref_lrs, ref_losses = expected
    problems = []
    if len(lrs) != len(ref_lrs):
        problems.append("the test did not stop at the rate the stopping rule names (too early or too late)")
    if not all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(lrs, ref_lrs)):
        problems.append("the rates are not the exponential ramp from min_lr to max_lr")
    pairs = [(a, b) for a, b in zip(losses, ref_losses) if math.isfinite(b)]
    if not all(math.isfinite(a) and math.isclose(a, b, rel_tol=RANGE_REL) for a, b in pairs):
        problems.append("the mean losses differ from a re-run of the same test")
    return problems


def check_range_test(student: Student, rng: random.Random) -> CheckResult:
    """The traces of two consecutive calls on the same model against the trusted re-run (half
    the credit each)."""
    if not student.has("range_test"):
        return _missing("range_test")
    dataset, hidden, batch_size = rng.choice(RANGE_PROBLEMS)
    seed = rng.randint(1, 10_000)
    traces = student.op("ps3_range_tests", dataset=dataset, hidden=list(hidden), seed=seed, batch_size=batch_size,
                        min_lr=RANGE_MIN_LR, max_lr=RANGE_MAX_LR, num_rates=RANGE_RATES,
                        batches_per_rate=RANGE_BATCHES, repeat=2)
    expected = reference_trace(dataset, hidden, batch_size, seed)
    first, second = (trace_problems(expected, t) for t in traces)
    basics = isinstance(traces[0], list) and len(traces[0]) == 2 and all(isinstance(p, list) for p in traces[0])
    if first:
        return CheckResult(0.0, tuple(f"✗ {p}" for p in first), basics_ok=basics)
    if second:
        return CheckResult(0.5, ("✓ the first range test matches a trusted re-run",
                                 "✗ a second call on the same model gave a different trace: give the model its "
                                 "weights back before returning"), basics_ok=basics)
    return CheckResult(1.0, ("✓ two range tests in a row on the same model match a trusted re-run",), basics_ok=basics)


def heldout_traces() -> list[tuple[list[float], list[float], tuple[float, float]]]:
    """(lrs, levels, good band) of every held-out problem."""
    return [(decode_values(p["trace"]["lrs"]), decode_values(p["trace"]["losses"]), good_band(p))
            for p in load_data()["problems"]]


def _suggestion(value: Plain | StudentError) -> tuple[float, str] | None:
    if not isinstance(value, list) or len(value) != 2:
        return None
    lr, rule = as_float(value[0]), value[1]
    if lr is None or type(rule) is not str or rule not in reference.RULES or not math.isfinite(lr):
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
        if not math.isclose(lr, reference.rule_rate(rule, lrs, losses), rel_tol=1e-9):
            inconsistent += 1
            continue
        hits += lo <= lr <= hi
    share = hits / len(traces)
    messages = [f"{hits}/{len(traces)} held-out suggestions fall in the band of rates a real sweep calls good "
                f"(full marks from {100 * SUGGEST_FULL_MARKS:.0f} %)"]
    if unusable:
        messages.append(f"{unusable} answers were not a pair (finite rate, one of {', '.join(reference.RULES)})")
    if inconsistent:
        messages.append(f"{inconsistent} rates are not what the rule named with them gives")
    return CheckResult(min(1.0, share / SUGGEST_FULL_MARKS), tuple(messages), basics_ok=unusable < len(traces))


# --------------------------------------------------------------------------- Part 2: schedule


def _momentum(value: Plain) -> tuple[float | None, str]:
    """OPTIMIZER's momentum, or why OPTIMIZER is not usable."""
    if not isinstance(value, dict) or set(value) != {"name", "momentum"}:
        return None, 'OPTIMIZER must be a dict with exactly the keys "name" and "momentum"'
    name, momentum = value["name"], as_float(value["momentum"])
    if type(name) is not str or name not in part2.OPTIMIZERS:
        return None, f"OPTIMIZER name must be {' or '.join(map(repr, part2.OPTIMIZERS))}"
    if momentum is None or not 0 <= momentum < 1:
        return None, "momentum must be a number in [0, 1)"
    return momentum, ""


def check_schedule(student: Student, rng: random.Random) -> CheckResult:
    """Train the held-out seeds with exactly the returned rates; credit the mean final loss."""
    del rng  # the same problem and seeds for everyone
    if not (student.has("schedule") and student.has("OPTIMIZER")):
        return _missing("schedule", "OPTIMIZER")
    momentum, problem = _momentum(student.get("OPTIMIZER"))
    if momentum is None:
        return CheckResult(0.0, (f"✗ {problem}",), basics_ok=False)
    budget = part2.budget()
    out = student.op("ps3_schedule_rates", total_steps=budget)
    if not isinstance(out, dict) or out.get("too_slow") is not False:
        return CheckResult(0.0, (f"✗ schedule took more than {SCHEDULE_SECONDS:g} s for the {budget} steps of the budget",))
    rates = _floats(out.get("rates"))
    if rates is None or len(rates) != budget or any(not (math.isfinite(r) and 0 <= r <= part2.MAX_LR) for r in rates):
        return CheckResult(0.0, (f"✗ schedule must give a number in [0, {part2.MAX_LR:g}] for every step 0 … {budget - 1}",),
                           basics_ok=False)
    if max(rates) == 0:
        return CheckResult(0.0, ("✗ a schedule that is 0 everywhere does not train",))
    seeds = len(part2.HELDOUT_SEEDS)
    mean = part2.mean_final_loss(momentum, rates, part2.HELDOUT_SEEDS)
    if mean is None:
        return CheckResult(0.0, (f"✗ your schedule diverged on at least one of the {seeds} held-out seeds",))
    share = part2.credit(mean)
    best = part2.BEST_CONSTANT
    target = best["heldout"] - part2.REQUIRED_IMPROVEMENT
    return CheckResult(share, (
        f"{'✓' if share == 1 else '✗'} mean final validation loss over {seeds} held-out seeds: {mean:.4f} "
        f"(best constant rate {best['rate']:g}: {best['heldout']:.4f}, full marks at {target:.4f} or lower): "
        f"{100 * share:.0f} % of the part",))


# --------------------------------------------------------------------------- Part 3: choose_lr and the loop


def check_choose_lr(student: Student, rng: random.Random) -> CheckResult:
    """Fixed held-out histories: a rate whose run has the lowest validation loss among the runs
    that did not diverge. Each kind of history (ordinary, with a diverged run that looks best,
    tied) weighs the same."""
    del rng
    if not student.has("choose_lr"):
        return _missing("choose_lr")
    cases = choose_cases()
    answers = student.call_many("choose_lr", [([history], {}) for _, history, _ in cases])
    right: dict[str, list[bool]] = {kind: [] for kind in CASE_KINDS}
    unknown = 0
    for (kind, history, best), answer in zip(cases, answers):
        chosen = None if isinstance(answer, StudentError) else as_float(answer)
        if chosen is None or not any(math.isclose(chosen, run["lr"], rel_tol=1e-9) for run in history):
            unknown += 1
        right[kind].append(chosen is not None and any(math.isclose(chosen, b, rel_tol=1e-9) for b in best))
    messages = [f"{kind} histories: {sum(got)}/{len(got)} right" for kind, got in right.items()]
    if unknown:
        messages.append(f"{unknown} answers were not a rate of the history")
    share = sum(sum(got) / len(got) for got in right.values()) / len(right)
    return CheckResult(share, tuple(messages), basics_ok=unknown < len(cases))


def snap(lr: float) -> int:
    """Index of the sweep rate nearest to ``lr`` on a log scale."""
    k = round(4 * math.log10(lr))
    return min(max(k + 16, 0), len(SWEEP_RATES) - 1)


def _run_loop(student: Student, runs: list[dict[str, Any]]) -> tuple[float, list[str]]:
    """Drive the loop on one held-out sweep; (credit in [0, 1], problems found)."""
    history: list[dict[str, Any]] = []
    tried: list[int] = []
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
        tried.append(snap(lr))
        history.append(shown(runs[tried[-1]]))
    if not history:
        return 0.0, ["next_trial stopped before trying any rate"]
    found = min(tried, key=lambda i: score(runs[i]))
    distance = abs(found - min(range(len(runs)), key=lambda i: score(runs[i])))
    closeness = 1.0 if distance <= 1 else 0.5 if distance == 2 else 0.0
    notes = [] if stopped else [f"the loop did not stop within {MAX_TRIALS} trials"]
    if closeness < 1:
        notes.append(f"the best rate tried is {distance} sweep steps (quarter decades) from the sweep's best")
    return (1 - STOP_SHARE) * closeness + STOP_SHARE * stopped, notes


def check_tuning_loop(student: Student, rng: random.Random) -> CheckResult:
    """The loop on every held-out loop problem: how close its best trial is to the sweep's best
    rate, and whether it stopped by itself."""
    del rng
    if not student.has("next_trial"):
        return _missing("next_trial")
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


CHECKS: list[Check] = [
    _check("test_range_test", 15, "range_test: traces against a trusted re-run", check_range_test,
           ("range_test_answer",), FORBIDDEN_LRLAB),
    _check("test_suggest_lr", 15, "suggest_lr: held-out traces", check_suggest_lr, ("suggest_lr_answer",),
           FORBIDDEN_LRLAB),
    _check("test_schedule", 25, "schedule: trained on held-out seeds", check_schedule, ("schedule_answer",)),
    _check("test_choose_lr", 10, "choose_lr: held-out histories", check_choose_lr, ("tuning_loop_answer",)),
    _check("test_tuning_loop", 20, "tuning loop: held-out problems", check_tuning_loop, ("tuning_loop_answer",)),
]
"""Autograded checks (85 points); the written answer ``written_answer`` adds 15 manual points
(``assignment.py``)."""
