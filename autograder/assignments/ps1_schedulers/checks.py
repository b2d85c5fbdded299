"""Hidden checks for ps1_schedulers: learning-rate schedules, stability, a scheduler class.

Every check draws its hyper-parameters from the ``rng`` it is given (seeded from the
assignment's ``case_seed`` by :meth:`autograder.assignments.Assignment.seed_for`: the same
cases for every student), asks the submission for whole trajectories in one round
trip (``Student.call_many``) and compares them with references computed HERE: the closed
forms of PyTorch's own schedulers (``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR``;
``tests/test_ps1.py`` steps PyTorch's classes against them) and the formula in the notebook
where PyTorch differs on purpose (holding at ``min_lr`` past ``total_steps``). Part 1's four
schedules are one table (:data:`SCHEDULES`) judged by one generic :func:`check_schedule`. The applied part re-trains the model
on the trusted side with the learning rates the student's scheduler produced.

Messages name the category that failed ("holds at min_lr past total_steps"), never a
reference value or a hidden case.
"""
from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import lrlab  # noqa: F401  (pins PyTorch's CPU numerics before the references compute)
from lrlab import testbed
from lrlab.schedules import WARMUP_START_FACTOR
from lrlab.seeds import SEEDS
from autograder.assignments.ps1_schedulers.harness import FORBIDDEN_SCHEDULERS
from autograder.checks import Check, CheckResult, Plain, Student, StudentError, as_float, close
from autograder.checks.runs import Problem, train_with_rates

# Tolerances: the closed forms are one or two float operations deep; a loop that multiplies
# gamma a few hundred times stays far inside 1e-9 relative.
REL = 1e-9
ABS = 1e-12

# The applied part (the notebook states the same numbers; a test keeps them in sync): lrlab's
# noisy testbed (lecture 4), where the learning-rate strategy decides the result, trained on each
# of the course's seeds. Judged on the MEAN final validation loss over the seeds: one run's final
# loss moves by about 0.01-0.03 with the seed or a small change of the schedule, as much as the
# gap between good schedules and the luckiest constant run, while the mean of three separates
# them (calibrate.py in this folder states the margins).
APPLIED_SEEDS = SEEDS
APPLIED_TARGET_LOSS = 1.115  # mean final validation loss over APPLIED_SEEDS; calibrated by calibrate.py
APPLIED_OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
APPLIED_MAX_LR = 10.0
#: The applied part's training set-up (seed 0; the others differ only in the seed); the student
#: chooses the optimizer (and its momentum).
APPLIED_PROBLEM = Problem(testbed.DATASET, testbed.HIDDEN, "sgd", testbed.BATCH_SIZE, testbed.EPOCHS, 0)


# --------------------------------------------------------------------------- references


def ref_step_decay(steps: Sequence[int], base_lr: float, step_size: int, gamma: float) -> list[float]:
    """``torch.optim.lr_scheduler.StepLR``: ``base_lr · gamma ** (step // step_size)``.

    >>> ref_step_decay([0, 2, 3, 7], 0.1, 3, 0.5)
    [0.1, 0.1, 0.05, 0.025]
    """
    return [base_lr * gamma ** (step // step_size) for step in steps]


def ref_exponential_decay(steps: Sequence[int], base_lr: float, gamma: float) -> list[float]:
    """``torch.optim.lr_scheduler.ExponentialLR``: ``base_lr · gamma ** step``.

    >>> ref_exponential_decay([0, 1, 2], 0.1, 0.5)
    [0.1, 0.05, 0.025]
    """
    return [base_lr * gamma ** step for step in steps]


def _cosine(step: int, span: int, base_lr: float, min_lr: float) -> float:
    """``torch.optim.lr_scheduler.CosineAnnealingLR`` at ``step`` of a half period of ``span`` steps."""
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * step / span)) / 2


def ref_cosine_annealing(steps: Sequence[int], total_steps: int, base_lr: float, min_lr: float = 0.0) -> list[float]:
    """CosineAnnealingLR from ``base_lr`` down to ``min_lr`` over ``total_steps``, then held at ``min_lr``.

    >>> ref_cosine_annealing([0, 5, 10, 12], 10, 1.0)
    [1.0, 0.5, 0.0, 0.0]
    """
    return [_cosine(min(step, total_steps), total_steps, base_lr, min_lr) for step in steps]


def ref_warmup_cosine(
    steps: Sequence[int], warmup_steps: int, total_steps: int, base_lr: float, min_lr: float = 0.0
) -> list[float]:
    """The course's linear warm-up (``LinearLR`` from ``WARMUP_START_FACTOR · base_lr``), then
    CosineAnnealingLR's closed form shifted by the warm-up.

    >>> [round(r, 6) for r in ref_warmup_cosine([0, 1, 2, 4], 2, 4, 1.0)]
    [0.1, 0.55, 1.0, 0.0]
    """
    f, span = WARMUP_START_FACTOR, max(1, total_steps - warmup_steps)
    return [base_lr * (f + (1 - f) * s / warmup_steps) if s < warmup_steps
            else _cosine(min(s - warmup_steps, span), span, base_lr, min_lr) for s in steps]


def ref_max_stable_lr(curvature: float) -> float:
    return 2.0 / curvature


def ref_gd_regime(lr: float, curvature: float) -> str:
    """Lecture 2's names, grouped: x ← (1 − lr·curvature)·x keeps its sign up to 1 (one step
    at 1), flips sign up to 2 (shrinking, or at 2 exactly keeping its size), grows past 2."""
    product = lr * curvature
    if product <= 1:
        return "monotone"
    return "oscillating" if product <= 2 else "diverging"


# --------------------------------------------------------------------------- judging


def _kind(value: Plain | StudentError) -> str:
    """A short, student-safe description of what came back instead of a number."""
    if isinstance(value, StudentError):
        return f"raised {value.kinds[0] if value.kinds else 'an error'}"
    if isinstance(value, dict) and "__unsupported__" in value:
        return f"returned a {value['__unsupported__']}"
    if value is None:
        return "returned None"
    if isinstance(value, float) and math.isnan(value):
        return "returned NaN"
    return f"returned a {type(value).__name__}"


@dataclass
class Scorecard:
    """Weighted categories; each passes a share of its cases. Messages name categories only."""

    parts: list[tuple[float, float, str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, name: str, weight: float, passed: int, total: int, detail: str = "") -> None:
        share = passed / total if total else 0.0
        self.parts.append((weight, share, name, detail))

    def note(self, problem: str) -> None:
        if problem not in self.problems:
            self.problems.append(problem)

    def result(self, basics_ok: bool = True) -> CheckResult:
        total = sum(w for w, *_ in self.parts)
        fraction = sum(w * s for w, s, *_ in self.parts) / total if total else 0.0
        messages = []
        for _, share, name, detail in self.parts:
            if share < 1.0:
                messages.append(f"✗ {name}" + (f" ({detail})" if detail else ""))
        messages += [f"  note: {p}" for p in self.problems]
        if not messages:
            messages.append(f"✓ all {len(self.parts)} categories correct")
        return CheckResult(min(1.0, max(0.0, round(fraction, 6))), tuple(messages), basics_ok)


def _matches(card: Scorecard, got: Plain | StudentError, expected: float) -> bool:
    if close(got, expected, REL, ABS):
        return True
    if as_float(got) is None or isinstance(got, StudentError):
        card.note(f"some calls {_kind(got)} instead of a float")
    return False


def _all_match(card: Scorecard, got: Sequence[Plain | StudentError], expected: Sequence[float]) -> bool:
    return len(got) == len(expected) and all([_matches(card, g, e) for g, e in zip(got, expected)])


def _value_errors(
    card: Scorecard, student: Student, name: str, cases: list[tuple[str, list[Plain]]], weight: float
) -> None:
    """One category: every invalid-argument case must raise ValueError."""
    results = student.call_many(name, [(args, {}) for _, args in cases])
    missed = [label for (label, _), r in zip(cases, results) if not (isinstance(r, StudentError) and r.is_a("ValueError"))]
    detail = ("not for: " + ", ".join(missed)) if missed else ""
    card.add("raises ValueError on invalid arguments", weight, len(cases) - len(missed), len(cases), detail)


def _basics(student: Student, name: str, visible_call: Sequence[Plain]) -> bool:
    """Exactly what the VISIBLE test cell asserts: one valid call returns a float.

    The visible cells print ✓/✗ for many more cases (feedback only); their single assert is
    the interface every honest partial answer satisfies, so a failing case costs the points
    of its category here, never the whole cell.
    """
    return type(student.call_many(name, [(list(visible_call), {})])[0]) is float


def _missing(name: str) -> CheckResult:
    return CheckResult(0.0, (f"✗ `{name}` is not defined: run its answer cell",), basics_ok=False)


REGIMES = ("monotone", "oscillating", "diverging")


# --------------------------------------------------------------------------- the schedules


@dataclass(frozen=True)
class Run:
    """One whole trajectory: the schedule at every step of ``steps``, called as
    ``name(step, *args)``; ``cuts`` split the steps into the spec's phases."""

    args: tuple[Plain, ...]
    steps: range
    cuts: tuple[int, ...] = ()


@dataclass(frozen=True)
class Case:
    """A labelled edge case: every call (argument lists, ``step`` first) must match the reference."""

    label: str
    calls: tuple[tuple[Plain, ...], ...]


def single(label: str, *args: Plain) -> Case:
    """An edge case of one call."""
    return Case(label, (args,))


@dataclass(frozen=True)
class ScheduleSpec:
    """One hand-written schedule of Part 1, as data for :func:`check_schedule`.

    ``reference(steps, *args)`` is the trusted closed form, called with exactly the
    arguments the student's function gets after ``step``. ``runs`` and ``edges`` draw their
    hyper-parameters from the check's ``rng`` (edges grouped by round trip to the sandbox);
    every run is judged phase by phase, one category per entry of ``phases``.
    """

    name: str
    grade_id: str
    points: float
    cells: tuple[str, ...]
    reference: Callable[..., list[float]]
    visible_call: tuple[Plain, ...]
    runs: Callable[[random.Random], list[Run]]
    phases: tuple[tuple[str, float], ...]
    edges: Callable[[random.Random], list[list[Case]]]
    edge_weight: float
    invalid: tuple[tuple[str, list[Plain]], ...]
    invalid_weight: float

    def check(self) -> Check:
        return _schedule_check(self.grade_id, self.points, self.name, functools.partial(check_schedule, self), self.cells)


def check_schedule(spec: ScheduleSpec, student: Student, rng: random.Random) -> CheckResult:
    """Whole trajectories phase by phase, then the edge cases, then the invalid arguments."""
    if not student.has(spec.name):
        return _missing(spec.name)
    card = Scorecard()
    runs = spec.runs(rng)
    passed = [0] * len(spec.phases)
    for run in runs:
        got = student.call_many(spec.name, [([step, *run.args], {}) for step in run.steps])
        expected = spec.reference(list(run.steps), *run.args)
        bounds = (0, *run.cuts, len(run.steps))
        for phase, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
            passed[phase] += _all_match(card, got[lo:hi], expected[lo:hi])
    for (category, weight), ok in zip(spec.phases, passed):
        card.add(category, weight, ok, len(runs))
    wrong, total = [], 0
    for round_trip in spec.edges(rng):
        got = student.call_many(spec.name, [(list(call), {}) for case in round_trip for call in case.calls])
        for case in round_trip:
            answers, got = got[: len(case.calls)], got[len(case.calls) :]
            expected = [spec.reference([call[0]], *call[1:])[0] for call in case.calls]
            if not _all_match(card, answers, expected):
                wrong.append(case.label)
        total += len(round_trip)
    card.add("edge cases", spec.edge_weight, total - len(wrong), total, ", ".join(wrong))
    _value_errors(card, student, spec.name, [(label, list(args)) for label, args in spec.invalid], spec.invalid_weight)
    return card.result(_basics(student, spec.name, spec.visible_call))


def _step_decay_runs(rng: random.Random) -> list[Run]:
    """Several decay periods each, random hyper-parameters."""
    runs = []
    for _ in range(3):
        base, size, gamma = rng.uniform(0.01, 1.0), rng.randint(2, 12), rng.uniform(0.1, 0.9)
        runs.append(Run((base, size, gamma), range(0, 5 * size + 3)))
    return runs


def _step_decay_edges(rng: random.Random) -> list[list[Case]]:
    base = rng.uniform(0.01, 1.0)
    return [[
        single("step 0", 0, base, rng.randint(1, 9), rng.uniform(0.1, 0.9)),
        single("gamma = 1 stays constant", rng.randint(20, 60), base, rng.randint(1, 5), 1.0),
        single("step_size = 1", 7, base, 1, 0.5),
        single("step_size larger than step", rng.randint(1, 9), base, 10, rng.uniform(0.1, 0.9)),
        single("base_lr = 0", rng.randint(0, 30), 0.0, 3, 0.5),
    ]]


def _exponential_decay_runs(rng: random.Random) -> list[Run]:
    runs = []
    for _ in range(3):
        base, gamma, n = rng.uniform(0.01, 1.0), rng.uniform(0.8, 0.999), rng.randint(60, 150)
        runs.append(Run((base, gamma), range(n)))
    return runs


def _exponential_decay_edges(rng: random.Random) -> list[list[Case]]:
    base = rng.uniform(0.01, 1.0)
    return [[
        single("step 0", 0, base, rng.uniform(0.5, 0.99)),
        single("gamma = 1 stays constant", rng.randint(10, 90), base, 1.0),
        single("gamma > 1 grows", rng.randint(5, 20), base, 1.05),
        single("base_lr = 0", rng.randint(0, 30), 0.0, 0.9),
    ]]


def _cosine_annealing_runs(rng: random.Random) -> list[Run]:
    """Up to total_steps and past it; the first run relies on the default min_lr = 0.0."""
    runs = []
    for i in range(3):
        total, base = rng.randint(8, 80), rng.uniform(0.01, 1.0)
        args = (total, base) if i == 0 else (total, base, rng.uniform(0.05, 0.5) * base)
        runs.append(Run(args, range(total + max(5, total // 2)), cuts=(total + 1,)))
    return runs


def _cosine_annealing_edges(rng: random.Random) -> list[list[Case]]:
    total, base = rng.randint(5, 50), rng.uniform(0.01, 1.0)
    min_lr = rng.uniform(0.1, 0.5) * base
    return [[
        single("step 0 gives base_lr", 0, total, base, min_lr),
        single("step = total_steps gives min_lr", total, total, base, min_lr),
        single("total_steps = 1", 1, 1, base, min_lr),
        single("min_lr = base_lr stays constant", rng.randint(1, total), total, base, base),
    ]]


def _warmup_cosine_runs(rng: random.Random) -> list[Run]:
    """Warm-up, cosine phase and past total_steps; the first run uses the default min_lr = 0.0."""
    runs = []
    for i in range(3):
        warm = rng.randint(2, 20)
        total = warm + rng.randint(10, 80)
        base = rng.uniform(0.01, 1.0)
        args = (warm, total, base) if i == 0 else (warm, total, base, rng.uniform(0.05, 0.5) * base)
        runs.append(Run(args, range(total + max(5, total // 4)), cuts=(warm, total + 1)))
    return runs


def _warmup_cosine_edges(rng: random.Random) -> list[list[Case]]:
    """Whole trajectories, one round trip each."""
    total, base = rng.randint(10, 40), rng.uniform(0.01, 1.0)
    min_lr = rng.uniform(0.1, 0.5) * base

    def trajectory(label: str, warm: int, base_lr: float, low: float) -> list[Case]:
        return [Case(label, tuple((s, warm, total, base_lr, low) for s in range(total + 3)))]

    return [
        trajectory("warmup_steps = 0 is plain cosine annealing", 0, base, min_lr),
        trajectory("warmup_steps = total_steps", total, base, min_lr),
        trajectory("warmup_steps = 1", 1, base, min_lr),
        trajectory("base_lr = 0", 3, 0.0, 0.0),
    ]


SCHEDULES: tuple[ScheduleSpec, ...] = (
    ScheduleSpec(
        "step_decay", "test_step_decay", 10, ("step_decay_answer",), ref_step_decay, (25, 0.1, 10, 0.5),
        _step_decay_runs, (("whole trajectories match StepLR", 0.5),), _step_decay_edges, 0.25,
        (("negative step", [-1, 0.1, 5, 0.5]), ("step_size = 0", [3, 0.1, 0, 0.5]),
         ("negative step_size", [3, 0.1, -2, 0.5]), ("gamma = 0", [3, 0.1, 5, 0.0]),
         ("negative gamma", [3, 0.1, 5, -0.5]), ("negative base_lr", [3, -0.1, 5, 0.5])), 0.25,
    ),
    ScheduleSpec(
        "exponential_decay", "test_exponential_decay", 8, ("exponential_decay_answer",), ref_exponential_decay,
        (2, 0.1, 0.9), _exponential_decay_runs, (("whole trajectories match ExponentialLR", 0.5),),
        _exponential_decay_edges, 0.25,
        (("negative step", [-1, 0.1, 0.9]), ("gamma = 0", [3, 0.1, 0.0]), ("negative gamma", [3, 0.1, -0.9]),
         ("negative base_lr", [3, -0.1, 0.9])), 0.25,
    ),
    ScheduleSpec(
        "cosine_annealing", "test_cosine_annealing", 12, ("cosine_annealing_answer",), ref_cosine_annealing,
        (50, 100, 0.1), _cosine_annealing_runs,
        (("whole trajectories match CosineAnnealingLR up to total_steps (with and without min_lr)", 0.5),
         ("holds at min_lr past total_steps", 0.15)),
        _cosine_annealing_edges, 0.15,
        (("negative step", [-1, 10, 0.1, 0.0]), ("total_steps = 0", [0, 0, 0.1, 0.0]),
         ("negative total_steps", [3, -5, 0.1, 0.0]), ("negative base_lr", [3, 10, -0.1, 0.0]),
         ("negative min_lr", [3, 10, 0.1, -0.001]), ("min_lr above base_lr", [3, 10, 0.1, 0.2])), 0.2,
    ),
    ScheduleSpec(
        "warmup_cosine", "test_warmup_cosine", 15, ("cosine_annealing_answer", "warmup_cosine_answer"),
        ref_warmup_cosine, (5, 10, 110, 0.1), _warmup_cosine_runs,
        (("linear warm-up from 10 % of base_lr (step < warmup_steps)", 0.25),
         ("cosine phase from base_lr to min_lr (warmup_steps <= step <= total_steps)", 0.3),
         ("holds at min_lr past total_steps", 0.1)),
        _warmup_cosine_edges, 0.15,
        (("negative step", [-1, 5, 50, 0.1, 0.0]), ("negative warmup_steps", [3, -1, 50, 0.1, 0.0]),
         ("warmup_steps > total_steps", [3, 60, 50, 0.1, 0.0]), ("total_steps = 0", [0, 0, 0, 0.1, 0.0]),
         ("negative base_lr", [3, 5, 50, -0.1, 0.0]), ("negative min_lr", [3, 5, 50, 0.1, -0.001]),
         ("min_lr above base_lr", [3, 5, 50, 0.1, 0.2])), 0.2,
    ),
)
"""Part 1's schedules: everything that differs between their checks (the rest is :func:`check_schedule`)."""


# --------------------------------------------------------------------------- stability


def check_max_stable_lr(student: Student, rng: random.Random) -> CheckResult:
    name = "max_stable_lr"
    if not student.has(name):
        return _missing(name)
    card = Scorecard()
    curvatures = [10 ** rng.uniform(-3, 3) for _ in range(8)]
    got = student.call_many(name, [([c], {}) for c in curvatures])
    ok = sum(_matches(card, g, ref_max_stable_lr(c)) for g, c in zip(got, curvatures))
    card.add("2 / curvature for random curvatures", 0.7, ok, len(curvatures))
    _value_errors(
        card,
        student,
        name,
        [("curvature = 0", [0.0]), ("negative curvature", [-1.0]), ("small negative curvature", [-1e-3])],
        0.3,
    )
    return card.result(_basics(student, name, [4.0]))


def check_gd_regime(student: Student, rng: random.Random) -> CheckResult:
    name = "gd_regime"
    if not student.has(name):
        return _missing(name)
    card = Scorecard()
    interior = []
    for low, high in ((0.05, 0.95), (1.05, 1.95), (2.05, 6.0)):
        for _ in range(3):
            curvature = 10 ** rng.uniform(-2, 2)
            interior.append((rng.uniform(low, high) / curvature, curvature))
    rng.shuffle(interior)
    got = student.call_many(name, [([lr, c], {}) for lr, c in interior])
    ok = sum(g == ref_gd_regime(lr, c) for g, (lr, c) in zip(got, interior))
    for g in got:
        if not isinstance(g, str):
            card.note(f"some calls {_kind(g)} instead of one of the three strings")
            break
    card.add("regimes away from the boundaries", 0.6, ok, len(interior))
    # Exact boundaries: powers of two make lr * curvature exactly 1 or 2 in floating point.
    j = rng.randint(-3, 3)
    bounds = [(2.0**-j, 2.0**j), (2.0 ** (1 - j), 2.0**j), (2.0 ** (-1 - j), 2.0**j)]
    got = student.call_many(name, [([lr, c], {}) for lr, c in bounds])
    labels = ["lr·curvature = 1 is monotone", "lr·curvature = 2 is oscillating", "lr·curvature = 1/2"]
    wrong = [lab for lab, g, (lr, c) in zip(labels, got, bounds) if g != ref_gd_regime(lr, c)]
    card.add("boundaries", 0.4, len(bounds) - len(wrong), len(bounds), ", ".join(wrong))
    visible = student.call_many(name, [([0.1, 1.0], {})])[0]
    return card.result(isinstance(visible, str) and visible in REGIMES)


# --------------------------------------------------------------------------- the scheduler class


def _rows(out: dict, key: str = "trace") -> list[dict]:
    rows = out.get(key)
    return [r if isinstance(r, dict) else {} for r in rows] if isinstance(rows, list) else []


def _rates(row: dict, key: str) -> list[Plain]:
    values = row.get(key)
    return values if isinstance(values, list) else []


def _steps_matching(card: Scorecard, rows: list[dict], expected: list[list[float]], group: int) -> int:
    """Steps whose ``get_last_lr()[group]`` is the reference rate (rows as the harness reports)."""
    ok = 0
    for row, exp in zip(rows, expected):
        values = _rates(row, "last_lr")
        if len(values) != len(exp):
            card.note("get_last_lr() must return one rate per param group")
        elif _matches(card, values[group], exp[group]):
            ok += 1
    return ok


def _same_rates(x: list[Plain], y: list[Plain]) -> bool:
    """Two lists of reported rates agree (same length, numbers within the tolerance)."""
    return len(x) == len(y) > 0 and all(
        as_float(v) is not None and close(u, as_float(v), REL, ABS) for u, v in zip(x, y)
    )


def _same_rows(a: list[dict], b: list[dict]) -> bool:
    """Two traces report the same get_last_lr() at every step."""
    return len(a) == len(b) and all(_same_rates(_rates(x, "last_lr"), _rates(y, "last_lr")) for x, y in zip(a, b))


def _expected_rows(initial_lrs: list[float], warm: int, total: int, min_lr: float, steps: Sequence[int]) -> list[list[float]]:
    per_group = [ref_warmup_cosine(list(steps), warm, total, b, min_lr) for b in initial_lrs]
    return [list(values) for values in zip(*per_group)]


def _trace(student: Student, **params: Plain) -> dict:
    result = student.op("ps1_scheduler_trace", **params)
    return result if isinstance(result, dict) else {"error": "the harness returned no data"}


def _scheduler_visible_ok(student: Student) -> bool:
    """Exactly what the visible cell asserts: it constructs and gives one rate for one group."""
    out = _trace(student, initial_lrs=[0.1], warmup_steps=2, total_steps=10, steps=0)
    rows = _rows(out)
    return not out.get("error") and len(rows) == 1 and len(_rates(rows[0], "last_lr")) == 1


def check_warmup_cosine_lr(student: Student, rng: random.Random) -> CheckResult:
    """Each property on its own: rates (against the formula of 1d, the reference, NOT the
    student's warmup_cosine), param groups, param_group['lr'], warnings, base class, resume."""
    if not student.has("WarmupCosineLR"):
        return _missing("WarmupCosineLR")
    basics = _scheduler_visible_ok(student)
    card = Scorecard()
    b1 = rng.uniform(0.1, 1.0)
    initial = [b1, b1 * rng.uniform(0.05, 0.5)]
    warm = rng.randint(2, 10)
    total = warm + rng.randint(10, 40)
    min_lr = rng.uniform(0.05, 0.5) * min(initial)
    steps = total + 5
    settings = {"initial_lrs": initial, "warmup_steps": warm, "total_steps": total, "min_lr": min_lr}
    main = _trace(student, **settings, steps=steps)
    trace = _rows(main)
    if main.get("error"):
        card.note(f"constructing or stepping WarmupCosineLR raised {main['error']}")
    expected = _expected_rows(initial, warm, total, min_lr, range(steps + 1))
    n = len(expected)
    card.add("get_last_lr() follows the warm-up + cosine schedule (first param group)", 0.3,
             _steps_matching(card, trace, expected, 0), n)
    card.add("every param group follows its own initial rate", 0.15, _steps_matching(card, trace, expected, 1), n)
    consistent = sum(_same_rates(_rates(row, "group_lr"), _rates(row, "last_lr")) for row in trace)
    card.add("sets the optimizer's param_group['lr'] to the rate get_last_lr() reports", 0.05,
             consistent if len(trace) == n else 0, n)
    completed = not main.get("error") and len(trace) == n
    warned = main.get("warning")
    card.add("no warnings when stepped in PyTorch's order", 0.15, int(completed and not warned), 1,
             "a warning was raised" if warned else "" if completed else "the run did not complete")
    card.add("is a torch.optim.lr_scheduler.LRScheduler", 0.05, int(main.get("is_lr_scheduler") is True), 1)
    # Resume: a fresh optimizer and scheduler loaded from the state dicts at resume_at must
    # continue exactly like the same scheduler run without interruption (judged against the
    # student's own uninterrupted run, so it is credited even when the rates are wrong, as
    # long as they change over the resumed steps).
    resume_at = rng.randint(max(1, warm // 2), total - 1)
    resumed = _rows(_trace(student, **settings, steps=steps, resume_at=resume_at), "resumed")
    own = trace[resume_at:]
    moving = len({repr(_rates(row, "last_lr")) for row in own}) > 1
    resume_ok = completed and moving and _same_rows(resumed, own)
    card.add("state_dict() / load_state_dict() resumes mid-schedule", 0.2, int(resume_ok), 1,
             "" if resume_ok or moving or not completed else "your rates do not change after the resume point")
    # Edge cases: warm-up 0 with the default min_lr; warm-up = total_steps.
    wrong = []
    t0 = rng.randint(5, 20)
    for label, params, exp_args in [
        ("warmup_steps = 0 with the default min_lr", {"initial_lrs": [b1], "warmup_steps": 0, "total_steps": t0, "steps": t0 + 3},
         (0, t0, 0.0)),
        ("warmup_steps = total_steps", {"initial_lrs": [b1], "warmup_steps": t0, "total_steps": t0, "steps": t0 + 3, "min_lr": min_lr},
         (t0, t0, min_lr)),
    ]:
        out = _trace(student, **params)
        exp = _expected_rows([b1], *exp_args, range(params["steps"] + 1))
        rows = _rows(out)
        if out.get("error") or len(rows) != len(exp) or _steps_matching(card, rows, exp, 0) != len(exp):
            wrong.append(label)
    card.add("edge cases", 0.1, 2 - len(wrong), 2, ", ".join(wrong))
    return card.result(basics)


# --------------------------------------------------------------------------- applied part


@functools.lru_cache(maxsize=1)
def applied_total_steps() -> int:
    """Optimizer steps in the applied part's budget (epochs × batches per epoch)."""
    return APPLIED_PROBLEM.epochs * APPLIED_PROBLEM.steps_per_epoch()


def _validate_applied(settings: Plain) -> tuple[dict | None, list[str]]:
    """The student's APPLIED dict as trusted plain values, or the reasons it is unusable."""
    if not isinstance(settings, dict):
        return None, [f"APPLIED must be a dict (found {_kind(settings).removeprefix('returned ')})"]
    problems = []
    keys = {"optimizer", "lr", "momentum", "warmup_steps", "min_lr"}
    missing = sorted(keys - set(settings))
    if missing:
        problems.append(f"APPLIED is missing {', '.join(missing)}")
        return None, problems
    total = applied_total_steps()
    opt = settings["optimizer"]
    lr, momentum, min_lr = (as_float(settings[k]) for k in ("lr", "momentum", "min_lr"))
    warm = settings["warmup_steps"]
    if opt not in APPLIED_OPTIMIZERS or type(opt) is not str:
        problems.append(f"optimizer must be one of {', '.join(APPLIED_OPTIMIZERS)}")
    if lr is None or not (0 < lr <= APPLIED_MAX_LR):
        problems.append(f"lr must be a number in (0, {APPLIED_MAX_LR:g}]")
    if momentum is None or not (0 <= momentum < 1):
        problems.append("momentum must be a number in [0, 1)")
    elif momentum and opt in ("adam", "adamw"):
        problems.append("adam and adamw take momentum = 0 (they use betas)")
    if type(warm) is not int or not 0 <= warm <= total:
        problems.append(f"warmup_steps must be an int in [0, {total}]")
    if min_lr is None or lr is None or not (0 <= min_lr <= lr):
        problems.append("min_lr must be a number in [0, lr]")
    if problems:
        return None, problems
    return {"optimizer": opt, "lr": lr, "momentum": momentum, "warmup_steps": warm, "min_lr": min_lr}, []


@functools.lru_cache(maxsize=256)
def retrain(optimizer: str, momentum: float, rates: tuple[float, ...], seed: int) -> tuple[float, bool]:
    """Train the testbed on the trusted side with ``seed``, step k at ``rates[k]``.

    Returns (final validation loss, diverged) with lrlab's meaning of diverged (a training or
    validation loss above 100 or not finite: its digits mean nothing). Same seeds, data, model
    and loop as ``lrlab.testbed.run(...)`` in the notebook, so the student sees the numbers the
    grader computes.
    """
    problem = replace(APPLIED_PROBLEM, optimizer=optimizer, momentum=momentum, seed=seed)
    history = train_with_rates(problem, rates)
    return history.val_loss[-1], history.diverged


def _applied_visible_ok(settings: Plain) -> bool:
    """Exactly what the visible test cell asserts about APPLIED."""
    if not isinstance(settings, dict) or set(settings) != {"optimizer", "lr", "momentum", "warmup_steps", "min_lr"}:
        return False
    lr, min_lr, warm = settings["lr"], settings["min_lr"], settings["warmup_steps"]
    numbers = all(type(v) in (int, float, bool) for v in (lr, min_lr))
    return (
        settings["optimizer"] in APPLIED_OPTIMIZERS
        and numbers
        and 0 < lr <= APPLIED_MAX_LR
        and 0 <= min_lr <= lr
        and type(warm) in (int, bool)
        and 0 <= warm <= applied_total_steps()
    )


def check_applied(student: Student, rng: random.Random) -> CheckResult:
    """Re-train the testbed with the rates the student's scheduler gives, on each seed of
    ``APPLIED_SEEDS``: full points when the mean final validation loss over the seeds reaches the
    target, none otherwise (also when a seed diverges)."""
    del rng  # the applied part is the same for everyone: fixed seeds, fixed budget
    if not student.has("APPLIED"):
        return _missing("APPLIED")
    raw_settings = student.get("APPLIED")
    visible_ok = _applied_visible_ok(raw_settings)
    settings, problems = _validate_applied(raw_settings)
    if settings is None:
        return CheckResult(0.0, tuple(f"✗ {p}" for p in problems), basics_ok=visible_ok)
    total = applied_total_steps()
    out = student.op(
        "ps1_schedule_rates",
        lr=settings["lr"],
        warmup_steps=settings["warmup_steps"],
        total_steps=total,
        min_lr=settings["min_lr"],
    )
    if not isinstance(out, dict) or out.get("missing"):
        return _missing("WarmupCosineLR")
    if out.get("error"):
        return CheckResult(0.0, (f"✗ your WarmupCosineLR failed with these settings: {out['error']}",), visible_ok)
    raw = out.get("rates")
    rates = [as_float(r) for r in raw] if isinstance(raw, list) else []
    if len(rates) != total or any(r is None or not math.isfinite(r) or not 0 <= r <= APPLIED_MAX_LR for r in rates):
        return CheckResult(
            0.0, (f"✗ your WarmupCosineLR must give {total} finite learning rates in [0, {APPLIED_MAX_LR:g}]",),
            visible_ok,
        )
    losses, messages = [], []
    for seed in APPLIED_SEEDS:
        loss, diverged = retrain(settings["optimizer"], settings["momentum"], tuple(rates), seed)
        if diverged or not math.isfinite(loss):
            return CheckResult(0.0, (*messages, f"✗ seed {seed}: re-training with your settings diverged"), visible_ok)
        losses.append(loss)
        messages.append(f"seed {seed}: final validation loss {loss:.4f}")
    mean = sum(losses) / len(losses)
    if mean <= APPLIED_TARGET_LOSS:
        return CheckResult(1.0, (*messages, f"✓ mean {mean:.4f} ≤ {APPLIED_TARGET_LOSS}"), visible_ok)
    return CheckResult(0.0, (*messages, f"✗ mean {mean:.4f} is above the target {APPLIED_TARGET_LOSS}"), visible_ok)


# --------------------------------------------------------------------------- the list

def _schedule_check(
    grade_id: str, points: float, title: str, run: Callable[[Student, random.Random], CheckResult], cells: tuple[str, ...]
) -> Check:
    """A schedule check: PyTorch's schedulers are forbidden in its own answer, its LAST cell
    (the earlier cells are answers it calls, voided only by their own checks)."""
    return Check(grade_id, points, title, run, cells, FORBIDDEN_SCHEDULERS, own_cells=cells[-1:])


_SCHEDULE_CELLS = tuple(spec.cells[-1] for spec in SCHEDULES)

CHECKS: list[Check] = [
    *(spec.check() for spec in SCHEDULES),
    Check("test_max_stable_lr", 5, "max_stable_lr", check_max_stable_lr, ("max_stable_lr_answer",)),
    Check("test_gd_regime", 5, "gd_regime", check_gd_regime, ("gd_regime_answer",)),
    _schedule_check("test_warmup_cosine_lr", 20, "WarmupCosineLR", check_warmup_cosine_lr,
                    (*_SCHEDULE_CELLS, "warmup_cosine_lr_answer")),
    _schedule_check("test_applied", 15, "applied: reach the target validation loss", check_applied,
                    (*_SCHEDULE_CELLS, "warmup_cosine_lr_answer", "applied_answer")),
]
"""Autograded checks (90 points); the written answer ``warmup_written`` adds 10 manual points
(``assignment.py``). Forbidden schedulers void only the check whose own answer (its last cell) uses one."""
