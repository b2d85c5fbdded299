"""ps3_tuning's harness (public: no references, no held-out data; see :mod:`autograder.harness`).

Its operations build what the student's functions need from plain parameters the trusted side chose
(a seeded model and a data loader; a step count) and report the answers as plain data. Every
judgement — the trace against a trusted re-run, the training with the returned rates — is made
by this assignment's ``checks.py``; nothing here decides a score.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from autograder.harness import Harness

#: Wall-clock budget for asking ``schedule`` for every step; a slower schedule is reported as such.
SCHEDULE_SECONDS = 1.0
#: lrlab's own range test at run time: the function lecture 5 calls and the class every run of
#: it builds its result with (its private steps too). Every child records which answer cells ran
#: them, and Part 1's checks forbid them.
TRIPWIRES = {"lrlab.range_test": frozenset({"range_test", "RangeTestResult"})}


def problem_parts(dataset: str, hidden: list[int] | tuple[int, ...], seed: int, batch_size: int,
                  n_train: int | None = None) -> tuple[Any, Callable[[], Any]]:
    """(model, make_loader): a freshly seeded model and a factory of identically seeded loaders
    (the same batches in the same order on every call)."""
    import torch

    from lrlab.data import load_split, make_loaders
    from lrlab.models import mlp
    from lrlab.seed import seed_everything

    seed_everything(seed)
    split = load_split(dataset, seed=seed, n_train=n_train)
    torch.manual_seed(seed)
    model = mlp(split.n_features, split.n_classes, tuple(hidden))
    return model, lambda: make_loaders(split, batch_size=batch_size, seed=seed)[0]


def _trace(value: Any) -> Any:
    """The (lrs, losses) pair as lists of floats where possible (the receiver re-checks it)."""
    if not isinstance(value, tuple | list) or len(value) != 2:
        return {"__not_a_pair__": type(value).__name__}
    return [[float(x) for x in part] if hasattr(part, "__iter__") else part for part in value]


def range_tests(namespace: Mapping[str, Any], dataset: str, hidden: list[int], seed: int, batch_size: int,
                min_lr: float, max_lr: float, num_rates: int, batches_per_rate: int, n_train: int | None = None,
                repeat: int = 2) -> Any:
    """Call the student's ``range_test`` ``repeat`` times on the SAME model, each time with a
    fresh loader (a range test must give the model's weights back)."""
    if "range_test" not in namespace:
        raise NameError("name 'range_test' is not defined")
    model, make_loader = problem_parts(dataset, hidden, seed, batch_size, n_train)
    return [_trace(namespace["range_test"](model, make_loader(), min_lr, max_lr, num_rates, batches_per_rate))
            for _ in range(repeat)]


def schedule_rates(namespace: Mapping[str, Any], total_steps: int) -> dict[str, Any]:
    """``schedule(step)`` for step 0 … total_steps − 1, stopping once it took SCHEDULE_SECONDS."""
    if "schedule" not in namespace:
        raise NameError("name 'schedule' is not defined")
    schedule = namespace["schedule"]
    deadline = time.monotonic() + SCHEDULE_SECONDS
    rates = []
    for step in range(total_steps):
        if time.monotonic() > deadline:
            return {"rates": rates, "too_slow": True}
        rates.append(schedule(step))
    return {"rates": rates, "too_slow": False}


HARNESS = Harness(operations={"ps3_range_tests": range_tests, "ps3_schedule_rates": schedule_rates},
                  tripwires=TRIPWIRES)
