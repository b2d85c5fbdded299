"""Hidden checks of ps2_diagnosing_curves: ``diagnose``, ``next_lr`` and the figure answers.

Every check asks the student for plain data only (``call_many``/``get``/``op``) and judges it
here: a label counts only when it is exactly a ``str`` from ``LABELS``, a rate only when it is
exactly a ``float``. References: the held-out runs carry their right labels from the bank's
criterion (a label is right when its fix works, see ``bank.py`` and ``criterion.py`` here), never from the
rules; the hand-made canonical curves below have labels fixed by design, far from every
threshold of the notebook's rules. Each check's ``basics_ok`` mirrors the single interface
assert of its visible cell (a failing assert scores that cell 0 in nbgrader, so the check
does too); every other visible case only prints ✓/✗. Messages give categories and counts,
never a hidden curve.
"""
from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

from autograder.checks import Check, CheckResult, Student, StudentError

LABELS = ("diverging", "oscillating", "too_slow", "overfitting", "good")
FULL_MARKS_ACCURACY = 0.85  # held-out accuracy that earns full marks; the reference rules reach 87.2 %
# The label each notebook figure shows (runs of set-ups in neither bank part; see bank.py).
FIGURE_KEY = {
    "figure_a": "overfitting",
    "figure_b": "too_slow",
    "figure_c": "oscillating",  # lecture 6's self-check: falls fast, bounces, validation jumps
    "figure_d": "good",
    "figure_e": "diverging",
}
NEXT_LR_FACTOR = {"diverging": 0.1, "oscillating": 1 / 3, "too_slow": 3.0, "overfitting": 1.0, "good": 1.0}

Curve = tuple[list[float], list[float]]


# --------------------------------------------------------------------------- judging helpers


def as_label(value: Any) -> str | None:
    """The value when it is exactly a str from LABELS, else None."""
    return value if type(value) is str and value in LABELS else None


def _calls(curves: list[Curve]) -> list[tuple[list[Any], dict[str, Any]]]:
    return [([list(train), list(val)], {}) for train, val in curves]


def _labels(student: Student, curves: list[Curve]) -> list[str | None]:
    """The student's label for each curve (None: raised or returned something else)."""
    return [as_label(r) if not isinstance(r, StudentError) else None for r in student.call_many("diagnose", _calls(curves))]


def _confusions(expected: list[str], got: list[str | None]) -> str:
    pairs = Counter(f"{e}→{g or 'error/not a label'}" for e, g in zip(expected, got) if e != g)
    return ", ".join(f"{pair} ({n})" for pair, n in pairs.most_common(3))


# --------------------------------------------------------------------------- canonical curves


def _grid(n: int) -> list[float]:
    return [i / (n - 1) for i in range(n)]


def canonical_shape(shape: str, scale: float, n: int) -> Curve:
    """A hand-made (train, val) pair of ``shape`` starting near ``scale`` with ``n`` epochs.

    Each shape sits far from every threshold of the notebook's rules, at any scale and length.
    """
    t = _grid(n)
    exp = math.exp
    if shape == "good":
        train = [scale * (0.02 + 0.98 * exp(-12 * x)) for x in t]
        val = [scale * (0.1 + 0.9 * exp(-12 * x)) for x in t]
    elif shape == "too_slow_flat":  # barely moved: ends at 99.5 % of its start (the rule: above 90 %)
        train = [scale * (1 - 0.005 * x) for x in t]
        val = [scale * (1.02 - 0.005 * x) for x in t]
    elif shape == "too_slow_falling":  # still falling steadily at the end
        train = [scale * (1 - 0.6 * x) for x in t]
        val = [scale * (1.05 - 0.55 * x) for x in t]
    elif shape == "diverging_growth":  # finite, but ends far above its start
        train = [scale * exp(3 * x) for x in t]
        val = [scale * 1.1 * exp(3.5 * x) for x in t]
    elif shape == "diverging_nan":  # blew up half way: inf, then nan
        half = n // 2
        train = [scale * (1 - 0.3 * x) for x in t[:half]] + [math.inf] + [math.nan] * (n - half - 1)
        val = [scale * (1.05 - 0.3 * x) for x in t[:half]] + [math.nan] * (n - half)
    elif shape == "oscillating":  # saw-tooth: a large rise every other epoch
        train = [scale * (0.5 + 0.5 * exp(-5 * x) + (0.4 if i % 2 else 0.0)) for i, x in enumerate(t)]
        val = [1.2 * v for v in train]
    elif shape == "oscillating_val":  # training falls smoothly; validation jumps up and back
        train = [scale * (0.1 + 0.9 * exp(-6 * x)) for x in t]
        val = [scale * (0.2 + 0.8 * exp(-6 * x) + (0.4 if i % 2 and 0.2 <= x <= 0.7 else 0.0)) for i, x in enumerate(t)]
    elif shape == "overfitting":  # validation turns up after a third of the epochs
        train = [scale * (0.02 + 0.98 * exp(-8 * x)) for x in t]
        val = [scale * (0.3 + 0.7 * exp(-8 * x) + 0.4 * x) for x in t]
    elif shape == "overfitting_climb":  # training to ~0, validation climbing steadily from epoch 1
        train = [scale * exp(-8 * x) for x in t]
        val = [scale * (0.15 + 0.25 * x) for x in t]
    # The swing rule on its own: each curve below is labelled by another rule, and a wrong
    # reading of "a swing" (a climb with no fall after it, a move of any size, each curve on
    # its own) would call it oscillating — or miss that it is.
    elif shape == "jump_then_settle":  # both jump up once (35 % of the start), then fall slowly, still falling
        train = [scale * (0.3 + 0.7 * exp(-10 * x) if x < 0.35 else 0.7 - 0.15 * (x - 0.35) / 0.65) for x in t]
        val = [scale * (0.35 + 0.7 * exp(-10 * x) if x < 0.35 else 0.75 - 0.15 * (x - 0.35) / 0.65) for x in t]
    elif shape == "jump_to_plateau":  # both jump up once (30 % of the start) early and stay there
        train = [scale * (0.15 + 0.85 * exp(-20 * x) if x < 0.25 else 0.45 - 0.02 * x) for x in t]
        val = [scale * (0.2 + 0.85 * exp(-20 * x) if x < 0.25 else 0.5 - 0.02 * x) for x in t]
    elif shape == "small_wiggles":  # a good run bouncing mid-way by 6 % of its start (60 % of its final level)
        train = [scale * (0.1 + 0.9 * exp(-12 * x) + (0.06 if i % 2 and 0.25 < x < 0.85 else 0.0)) for i, x in enumerate(t)]
        val = [scale * (0.15 + 0.9 * exp(-12 * x) + (0.06 if i % 2 == 0 and 0.25 < x < 0.85 else 0.0))
               for i, x in enumerate(t)]
    elif shape == "one_swing_each":  # one up-and-down in training, a later one in validation
        train = [scale * (0.1 + 0.9 * exp(-10 * x) + (0.45 if 0.3 <= x < 0.45 else 0.0)) for x in t]
        val = [scale * (0.15 + 0.9 * exp(-10 * x) + (0.45 if 0.6 <= x < 0.75 else 0.0)) for x in t]
    else:
        raise ValueError(f"unknown shape {shape!r}")
    return train, val


CANONICAL_SHAPES = {
    "good": "good",
    "too_slow_flat": "too_slow",
    "too_slow_falling": "too_slow",
    "diverging_growth": "diverging",
    "diverging_nan": "diverging",
    "oscillating": "oscillating",
    "oscillating_val": "oscillating",
    "overfitting": "overfitting",
    "overfitting_climb": "overfitting",
    "jump_then_settle": "too_slow",
    "jump_to_plateau": "good",
    "small_wiggles": "good",
    "one_swing_each": "oscillating",
}
# ln 10 (10 classes), ln 3, ln 2 (2 classes) and a smaller arbitrary start, large enough that every
# rise and late fall exceeds MIN_CHANGE (0.02) many times over; 10, 37 and 200 epochs.
CANONICAL_SCALES = (math.log(10), math.log(3), math.log(2), 0.3)
CANONICAL_LENGTHS = (10, 37, 200)


def canonical_cases() -> list[tuple[str, Curve, str]]:
    """(description, curve, expected label) for every shape × scale × length."""
    return [
        (f"{shape} (start {scale:.2f}, {n} epochs)", canonical_shape(shape, scale, n), label)
        for shape, label in CANONICAL_SHAPES.items()
        for scale in CANONICAL_SCALES
        for n in CANONICAL_LENGTHS
    ]


def _visible_interface_ok(student: Student) -> bool:
    """Exactly the visible canonical cell's assert: a label for two simple curves."""
    decay = [2.3 * (0.02 + 0.98 * math.exp(-12 * i / 19)) for i in range(20)]
    return all(label is not None for label in _labels(student, [(decay, decay), ([2.3] * 10, [2.3] * 10)]))


def check_diagnose_canonical(student: Student, rng: random.Random) -> CheckResult:
    """Hand-made curves of every label at several scales and lengths: proportional credit."""
    if not student.has("diagnose"):
        return CheckResult(0.0, ("diagnose is not defined",), basics_ok=False)
    cases = canonical_cases()
    expected = [label for _, _, label in cases]
    got = _labels(student, [curve for _, curve, _ in cases])
    right = sum(e == g for e, g in zip(expected, got))
    messages = [f"{right}/{len(cases)} canonical curves labelled as the rules say"]
    if right < len(cases):
        messages.append(f"missed: {_confusions(expected, got)}")
    return CheckResult(right / len(cases), tuple(messages), basics_ok=_visible_interface_ok(student))


# --------------------------------------------------------------------------- held-out bank


def _bank_curves(part: str) -> tuple[list[Curve], list[tuple[str, ...]]]:
    """The curves of a bank part and each one's right labels."""
    from autograder.assignments.ps2_diagnosing_curves.bank import curves

    stored = curves(part)
    return [(c["train_loss"], c["val_loss"]) for c in stored], [tuple(c["labels"]) for c in stored]


def check_diagnose_heldout(student: Student, rng: random.Random) -> CheckResult:
    """Accuracy on the held-out real runs (a label counts when it is one of the run's right
    labels): proportional, full marks from FULL_MARKS_ACCURACY. The visible cell prints the
    practice accuracy and asserts only that ``diagnose`` exists, so only a missing one zeroes it."""
    if not student.has("diagnose"):
        return CheckResult(0.0, ("diagnose is not defined",), basics_ok=False)
    curves, right_labels = _bank_curves("heldout")
    got = _labels(student, curves)
    hits = [g in labels for g, labels in zip(got, right_labels)]
    accuracy = sum(hits) / len(curves)
    errors = sum(g is None for g in got)
    messages = [f"{len(curves) - sum(hits)}/{len(curves)} held-out runs wrong (accuracy {100 * accuracy:.1f} %; "
                f"full marks from {100 * FULL_MARKS_ACCURACY:.0f} %)"]
    if not all(hits):
        wrong = Counter(f"{labels[0]}→{g or 'error/not a label'}" for g, labels, ok in zip(got, right_labels, hits) if not ok)
        messages.append("most confused: " + ", ".join(f"{pair} ({n})" for pair, n in wrong.most_common(3)))
    if errors:
        messages.append(f"{errors} calls raised an error or returned something that is not a label")
    return CheckResult(min(1.0, accuracy / FULL_MARKS_ACCURACY), tuple(messages), basics_ok=True)


# --------------------------------------------------------------------------- robustness


def _raises_value_error(student: Student, train: list[float], val: list[float]) -> bool:
    try:
        student.call("diagnose", list(train), list(val))
    except StudentError as err:
        return err.is_a("ValueError")
    return False


def check_diagnose_robust(student: Student, rng: random.Random) -> CheckResult:
    """nan mid-run, inf in validation only, numpy arrays, a constant curve, bad input."""
    if not student.has("diagnose"):
        return CheckResult(0.0, ("diagnose is not defined",), basics_ok=False)
    start = rng.choice((math.log(10), math.log(2), 1.3))
    n = rng.randint(12, 60)
    good = canonical_shape("good", start, n)
    nan_mid = list(good[0]), list(good[1])
    nan_mid[0][n // 3] = math.nan  # one nan in the middle, finite again afterwards
    inf_val = list(good[0]), list(good[1])
    inf_val[1][-2] = math.inf
    constant = [start] * n
    results: dict[str, bool] = {}

    def label_case(name: str, curve: Curve, expected: str) -> None:
        got = _labels(student, [curve])[0]
        results[name] = got == expected

    label_case("nan in the middle of a run", nan_mid, "diverging")
    label_case("inf in the validation loss only", inf_val, "diverging")
    label_case("constant curve", (constant, list(constant)), "too_slow")
    for name, shape in (("numpy arrays (good run)", "good"), ("numpy arrays (overfitting)", "overfitting"),
                        ("numpy arrays (blew up)", "diverging_nan")):
        curve = canonical_shape(shape, start, n)
        try:
            got = as_label(student.op("ps2_diagnose_arrays", train_loss=curve[0], val_loss=curve[1]))
        except StudentError:
            got = None
        results[name] = got == CANONICAL_SHAPES[shape]
    results["ValueError for different lengths"] = _raises_value_error(student, [1.0] * (n + 1), [1.0] * n)
    results["ValueError for fewer than 5 epochs"] = _raises_value_error(student, [1.0] * 4, [1.0] * 4)
    results["ValueError for empty input"] = _raises_value_error(student, [], [])
    passed = sum(results.values())
    failed = [name for name, ok in results.items() if not ok]
    messages = [f"{passed}/{len(results)} robustness cases passed"]
    if failed:
        messages.append("failed: " + "; ".join(failed))
    return CheckResult(passed / len(results), tuple(messages), basics_ok=_visible_robust_ok(student))


def _visible_robust_ok(student: Student) -> bool:
    """Exactly the visible robustness cell's assert: a label for a constant list pair."""
    return _labels(student, [([2.0] * 8, [2.0] * 8)])[0] is not None


# --------------------------------------------------------------------------- next_lr


def check_next_lr(student: Student, rng: random.Random) -> CheckResult:
    """The factor of every label at several rates, and ValueError for bad labels and rates."""
    if not student.has("next_lr"):
        return CheckResult(0.0, ("next_lr is not defined",), basics_ok=False)
    rates = [1.0, 0.3, 0.05] + [10 ** rng.uniform(-5, 1) for _ in range(2)]
    cases = [(lr, label) for label in LABELS for lr in rates]
    results = student.call_many("next_lr", [([lr, label], {}) for lr, label in cases])
    wrong: Counter[str] = Counter()
    for (lr, label), got in zip(cases, results):
        expected = lr * NEXT_LR_FACTOR[label]
        ok = type(got) is float and math.isclose(got, expected, rel_tol=1e-9)
        if not ok:
            wrong[label] += 1
    bad = [(0.1, "slow"), (0.1, "Good"), (0.0, "good"), (-0.1, "too_slow")]
    bad_results = student.call_many("next_lr", [([lr, label], {}) for lr, label in bad])
    bad_ok = [isinstance(r, StudentError) and r.is_a("ValueError") for r in bad_results]
    total = len(cases) + len(bad)
    passed = len(cases) - sum(wrong.values()) + sum(bad_ok)
    messages = [f"{passed}/{total} next_lr cases passed"]
    if wrong:
        messages.append("wrong rate (or not a float) after: " + ", ".join(f"{k} ({v})" for k, v in wrong.items()))
    if not all(bad_ok):
        messages.append(f"{len(bad) - sum(bad_ok)} of {len(bad)} invalid inputs did not raise ValueError")
    # the visible cell's assert: next_lr(0.05, "good") is a float
    basics_ok = type(student.call_many("next_lr", [([0.05, "good"], {})])[0]) is float
    return CheckResult(passed / total, tuple(messages), basics_ok=basics_ok)


# --------------------------------------------------------------------------- figures


def check_figures(student: Student, rng: random.Random) -> CheckResult:
    """``ANSWERS`` against the key: equal credit per figure, exact label strings only."""
    if not student.has("ANSWERS"):
        return CheckResult(0.0, ("ANSWERS is not defined",), basics_ok=False)
    answers = student.get("ANSWERS")
    if type(answers) is not dict:
        return CheckResult(0.0, ("ANSWERS must be a dict of figure name -> label",), basics_ok=False)
    right = [name for name, label in FIGURE_KEY.items() if as_label(answers.get(name)) == label]
    messages = [f"{len(right)}/{len(FIGURE_KEY)} figures named correctly"]
    if sorted(answers) != sorted(FIGURE_KEY) or not all(as_label(v) for v in answers.values()):
        messages.append("ANSWERS needs exactly the keys figure_a … figure_e, each one label of LABELS")
    return CheckResult(len(right) / len(FIGURE_KEY), tuple(messages), basics_ok=True)  # the assert: a dict


def _check(grade_id: str, points: float, title: str, run: Callable[..., CheckResult], cell: str) -> Check:
    return Check(grade_id=grade_id, points=points, title=title, run=run, answer_cells=(cell,))


CHECKS: list[Check] = [
    _check("test_diagnose_canonical", 20, "diagnose: canonical curves", check_diagnose_canonical, "diagnose_answer"),
    _check("test_diagnose_heldout", 30, "diagnose: held-out real curves", check_diagnose_heldout, "diagnose_answer"),
    _check("test_diagnose_robust", 10, "diagnose: robustness", check_diagnose_robust, "diagnose_answer"),
    _check("test_next_lr", 10, "next_lr", check_next_lr, "next_lr_answer"),
    _check("test_figures", 20, "figures: ANSWERS", check_figures, "figures_answer"),
]
