"""Unit tests for lrlab.range_test (the learning-rate range test lecture 5 shows).

lrlab runs and records the test; it does not read a rate off it (problem set 3's graded rules
live with the grader), so its result has no suggestion.
"""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lrlab import range_test as module
from lrlab.range_test import RangeTestResult, _ramp, _run, _smooth, range_test


def test_exponential_ramp_has_constant_ratio_and_exact_ends() -> None:
    rates = _ramp(1e-4, 1.0, 5)
    assert rates[0] == pytest.approx(1e-4) and rates[-1] == pytest.approx(1.0)
    ratios = [b / a for a, b in zip(rates, rates[1:])]
    assert ratios == pytest.approx([10.0] * 4)


@pytest.mark.parametrize("args", [(0.0, 1.0, 10), (1.0, 0.1, 10), (1e-3, 1.0, 1), (1e-3, math.inf, 5)])
def test_exponential_ramp_rejects_bad_arguments(args: tuple) -> None:
    with pytest.raises(ValueError):
        _ramp(*args)


def test_smooth_is_bias_corrected() -> None:
    # a constant loss stays exactly constant (no pull towards 0 at the start)
    assert _smooth([2.0, 2.0, 2.0], beta=0.9) == pytest.approx([2.0, 2.0, 2.0])
    # second value: (0.9*0.1*1 + 0.1*3) / (1 - 0.81)
    assert _smooth([1.0, 3.0], beta=0.9)[1] == pytest.approx((0.09 + 0.3) / 0.19)
    assert _smooth([1.0, 3.0], beta=0.0) == [1.0, 3.0]


def test_smooth_marks_everything_after_a_non_finite_loss() -> None:
    assert _smooth([1.0, math.nan, 1.0])[1:] == [math.inf, math.inf]
    with pytest.raises(ValueError):
        _smooth([1.0], beta=1.0)


def test_the_module_ships_a_range_test_and_no_rule_to_read_it() -> None:
    """What lecture 5 uses, and nothing that answers problem set 3's Part 1."""
    public = {name for name in vars(module) if not name.startswith("_") and callable(getattr(module, name))
              and getattr(getattr(module, name), "__module__", "") == module.__name__}
    assert public == {"range_test", "RangeTestResult"}
    fields = {f for f in vars(RangeTestResult(lrs=[], losses=[], smoothed=[], stopped_early=False))}
    assert fields == {"lrs", "losses", "smoothed", "stopped_early"}
    for name in ("suggested_lr", "steepest_lr", "lr_at_min_loss", "min_index"):
        assert not hasattr(RangeTestResult, name), name


def _toy_loader() -> DataLoader:
    g = torch.Generator().manual_seed(0)
    X = torch.randn(64, 4, generator=g)
    y = (X[:, 0] > 0).long()
    return DataLoader(TensorDataset(X, y), batch_size=16)


def test_lr_range_test_ramps_cycles_the_loader_and_stops_on_divergence() -> None:
    torch.manual_seed(0)
    model = nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    result = _run(model, opt, _toy_loader(), start_lr=1e-3, end_lr=1e4, num_steps=60)
    assert result.stopped_early
    assert 4 < len(result.lrs) < 60  # cycled past the 4 batches, stopped before the end
    assert result.lrs == pytest.approx(_ramp(1e-3, 1e4, 60)[: len(result.lrs)])
    assert len(result.losses) == len(result.smoothed) == len(result.lrs)
    lowest = min(range(len(result.smoothed)), key=result.smoothed.__getitem__)
    assert result.lrs[lowest] < result.lrs[-1]


def test_lr_range_test_without_divergence_runs_every_step() -> None:
    torch.manual_seed(0)
    model = nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=1e-5)
    result = _run(model, opt, _toy_loader(), start_lr=1e-5, end_lr=1e-4, num_steps=10)
    assert not result.stopped_early and len(result.lrs) == 10
    with pytest.raises(ValueError):
        _run(model, opt, _toy_loader(), diverge_factor=1.0)


def test_range_test_on_digits_is_seeded_and_sensible() -> None:
    a = range_test(num_steps=60, end_lr=100.0)
    b = range_test(num_steps=60, end_lr=100.0)
    assert a.losses == b.losses
    assert a.stopped_early
    assert a.losses[0] == pytest.approx(math.log(10), abs=0.3)  # ~ln(#classes) at init
    lowest = min(range(len(a.smoothed)), key=a.smoothed.__getitem__)
    assert 1e-2 < a.lrs[lowest] < 100.0
