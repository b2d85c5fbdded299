"""Unit tests for lrlab.range_test (the learning-rate range test)."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lrlab.range_test import (
    RangeTestResult,
    exponential_ramp,
    lr_range_test,
    range_test,
    smooth,
)


def test_exponential_ramp_has_constant_ratio_and_exact_ends() -> None:
    rates = exponential_ramp(1e-4, 1.0, 5)
    assert rates[0] == pytest.approx(1e-4) and rates[-1] == pytest.approx(1.0)
    ratios = [b / a for a, b in zip(rates, rates[1:])]
    assert ratios == pytest.approx([10.0] * 4)


@pytest.mark.parametrize("args", [(0.0, 1.0, 10), (1.0, 0.1, 10), (1e-3, 1.0, 1), (1e-3, math.inf, 5)])
def test_exponential_ramp_rejects_bad_arguments(args: tuple) -> None:
    with pytest.raises(ValueError):
        exponential_ramp(*args)


def test_smooth_is_bias_corrected() -> None:
    # a constant loss stays exactly constant (no pull towards 0 at the start)
    assert smooth([2.0, 2.0, 2.0], beta=0.9) == pytest.approx([2.0, 2.0, 2.0])
    # second value: (0.9*0.1*1 + 0.1*3) / (1 - 0.81)
    assert smooth([1.0, 3.0], beta=0.9)[1] == pytest.approx((0.09 + 0.3) / 0.19)
    assert smooth([1.0, 3.0], beta=0.0) == [1.0, 3.0]


def test_smooth_marks_everything_after_a_non_finite_loss() -> None:
    assert smooth([1.0, math.nan, 1.0])[1:] == [math.inf, math.inf]
    with pytest.raises(ValueError):
        smooth([1.0], beta=1.0)


def _result(lrs: list[float], smoothed: list[float]) -> RangeTestResult:
    return RangeTestResult(lrs=lrs, losses=smoothed, smoothed=smoothed, stopped_early=False)


def test_suggestions_read_the_valley() -> None:
    lrs = [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]
    result = _result(lrs, [2.3, 2.29, 1.5, 0.4, 0.3, 5.0])
    assert result.lr_at_min_loss == 1.0
    assert result.suggested_lr == pytest.approx(0.1)
    assert result.steepest_lr == 1e-2  # the 1e-2 → 1e-1 decade drops the most


def test_suggestions_need_a_finite_loss() -> None:
    with pytest.raises(ValueError):
        _ = _result([1e-3], [math.inf]).suggested_lr
    assert _result([1e-3, 1e-2], [1.0, 2.0]).steepest_lr == 1e-3


def _toy_loader() -> DataLoader:
    g = torch.Generator().manual_seed(0)
    X = torch.randn(64, 4, generator=g)
    y = (X[:, 0] > 0).long()
    return DataLoader(TensorDataset(X, y), batch_size=16)


def test_lr_range_test_ramps_cycles_the_loader_and_stops_on_divergence() -> None:
    torch.manual_seed(0)
    model = nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    result = lr_range_test(model, opt, _toy_loader(), start_lr=1e-3, end_lr=1e4, num_steps=60)
    assert result.stopped_early
    assert 4 < len(result.lrs) < 60  # cycled past the 4 batches, stopped before the end
    assert result.lrs == pytest.approx(exponential_ramp(1e-3, 1e4, 60)[: len(result.lrs)])
    assert len(result.losses) == len(result.smoothed) == len(result.lrs)
    assert result.lr_at_min_loss < result.lrs[-1]


def test_lr_range_test_without_divergence_runs_every_step() -> None:
    torch.manual_seed(0)
    model = nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=1e-5)
    result = lr_range_test(model, opt, _toy_loader(), start_lr=1e-5, end_lr=1e-4, num_steps=10)
    assert not result.stopped_early and len(result.lrs) == 10
    with pytest.raises(ValueError):
        lr_range_test(model, opt, _toy_loader(), diverge_factor=1.0)


def test_range_test_on_digits_is_seeded_and_sensible() -> None:
    a = range_test(num_steps=60, end_lr=100.0)
    b = range_test(num_steps=60, end_lr=100.0)
    assert a.losses == b.losses
    assert a.stopped_early
    assert a.losses[0] == pytest.approx(math.log(10), abs=0.3)  # ~ln(#classes) at init
    assert 1e-3 < a.suggested_lr < 10.0
