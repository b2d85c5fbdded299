"""Unit tests for lrlab.schedules.trace_schedule."""
from __future__ import annotations

import warnings

import pytest
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR, StepLR

from lrlab.schedules import trace_schedule


def test_trace_starts_at_the_initial_rate_and_follows_the_scheduler() -> None:
    rates = trace_schedule(lambda o: StepLR(o, step_size=2, gamma=0.5), steps=6, lr=0.8)
    assert rates == pytest.approx([0.8, 0.8, 0.4, 0.4, 0.2, 0.2])


def test_trace_raises_no_warning_even_for_sequential_schedules() -> None:
    def warm_cosine(o):
        return SequentialLR(
            o, [LinearLR(o, start_factor=0.1, total_iters=3), CosineAnnealingLR(o, T_max=5)], [3]
        )

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rates = trace_schedule(warm_cosine, steps=8, lr=1.0)
    assert rates[0] == pytest.approx(0.1) and max(rates) == pytest.approx(1.0)


def test_cosine_rises_again_after_t_max() -> None:
    rates = trace_schedule(lambda o: CosineAnnealingLR(o, T_max=4), steps=9, lr=1.0)
    assert rates[4] == pytest.approx(0.0, abs=1e-12) and rates[8] == pytest.approx(1.0)


def test_trace_rejects_zero_steps() -> None:
    with pytest.raises(ValueError):
        trace_schedule(lambda o: StepLR(o, 1), steps=0)
