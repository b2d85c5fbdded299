"""The noisy testbed: its data, the rounds that measure a run more often, the paired
comparison, and the noisy parabola of lecture 2 (lrlab.synthetic, lrlab.rounds, lrlab.paired,
lrlab.testbed, lrlab.quadratic)."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from lrlab import testbed
from lrlab.data import ALL_DATASETS, load_split
from lrlab.paired import paired, paired_summary, paired_table, plot_paired
from lrlab.plots import plot_rounds, plot_schedules
from lrlab.quadratic import expected_excess, noise_floor, noisy_gd, stationary_excess
from lrlab.rounds import Rounds, train_in_rounds
from lrlab.synthetic import N_TRAIN, N_VAL, noisy
from lrlab.train import History


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --- the data ----------------------------------------------------------------------------------


def test_the_noisy_split_is_fixed_standardised_and_the_same_for_every_seed() -> None:
    a, b = load_split("noisy", seed=0), load_split("noisy", seed=7)
    assert "noisy" in ALL_DATASETS
    assert (len(a.y_train), len(a.y_val), a.n_features, a.n_classes) == (N_TRAIN, N_VAL, 30, 8)
    assert torch.equal(a.X_train, b.X_train) and torch.equal(a.y_val, b.y_val)
    assert torch.allclose(a.X_train.mean(0), torch.zeros(30), atol=1e-5)
    assert a.X_val.mean(0).abs().max() > 1e-3  # scaled with the training rows' statistics only
    X_train, y_train, X_val, _ = noisy()
    assert X_train.shape == (N_TRAIN, 30) and X_val.shape == (N_VAL, 30) and set(np.unique(y_train)) == set(range(8))


@pytest.mark.parametrize("kwargs", [{"val_fraction": 0.5}, {"n_train": 100}])
def test_the_noisy_split_refuses_split_arguments(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="fixed split"):
        load_split("noisy", **kwargs)


def test_an_unknown_dataset_lists_the_generated_ones_too() -> None:
    with pytest.raises(ValueError, match="noisy"):
        load_split("mnist")


def test_the_budget_is_three_passes_of_375_batches() -> None:
    assert testbed.steps_per_epoch() == 375 and testbed.total_steps() == 1125
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=testbed.PEAK)
    assert testbed.cosine(optimizer).T_max == 1125
    assert max(testbed.GRID) < testbed.PEAK and list(testbed.GRID) == sorted(testbed.GRID)


# --- rounds -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_run_in_rounds_is_the_ordinary_run_measured_more_often() -> None:
    whole = testbed.experiment(0.1, seed=3)
    ordinary = whole.train(2)
    in_rounds = testbed.experiment(0.1, seed=3)
    rounds = train_in_rounds(in_rounds, 125, 6)  # 3 rounds per epoch
    assert rounds.epochs_run == 6 and len(rounds.lr) == 750
    assert [rounds.val_loss[2], rounds.val_loss[5]] == ordinary.val_loss
    assert rounds.initial_train_loss == ordinary.initial_train_loss
    for mine, theirs in zip(in_rounds.model.parameters(), whole.model.parameters()):
        assert torch.equal(mine, theirs)


def test_rounds_hand_out_the_stream_of_epochs_in_pieces() -> None:
    loader = [(torch.tensor([i]), torch.tensor([i])) for i in range(5)]  # an "epoch" of 5 batches
    rounds = Rounds(loader, 3)  # type: ignore[arg-type]
    seen = [[int(x) for x, _ in rounds] for _ in range(3)]
    assert seen == [[0, 1, 2], [3, 4, 0], [1, 2, 3]] and len(rounds) == 3
    with pytest.raises(ValueError):
        Rounds(loader, 0)  # type: ignore[arg-type]


def test_rounds_refuse_a_scheduler_stepped_per_epoch_and_bad_counts() -> None:
    per_epoch = testbed.experiment(0.1, scheduler=testbed.cosine)  # step_per="epoch"
    with pytest.raises(ValueError, match="per batch"):
        train_in_rounds(per_epoch, 75, 2)
    with pytest.raises(ValueError, match="rounds"):
        train_in_rounds(testbed.experiment(0.1), 75, 0)


# --- the paired comparison -------------------------------------------------------------------


def _run(final: float, best: float | None = None, diverged: bool = False) -> History:
    values = [2.0, best if best is not None else final + 0.5, final]
    if diverged:
        values = [2.0, math.inf, math.inf]
    return History(train_loss=values, val_loss=values, initial_train_loss=2.3, epochs_planned=3,
                   stopped_nonfinite=diverged)


def test_each_seed_gets_its_own_best_constant_rate() -> None:
    constants = {0.1: [_run(1.20), _run(1.30)], 0.2: [_run(1.25), _run(1.22)], 0.4: [_run(9.0), _run(1.0, diverged=True)]}
    result = paired([_run(1.10), _run(1.12)], constants, [5, 6])
    assert [(p.seed, p.best_rate) for p in result.pairs] == [(5, 0.1), (6, 0.2)]  # the diverged run is never best
    assert result.differences == pytest.approx([0.10, 0.10])
    assert result.holds() and result.verdict() == "lower" and result.rates_at_grid_edge == [5]


def test_best_epoch_measure_uses_each_runs_lowest_epoch() -> None:
    result = paired([_run(1.10, best=1.05), _run(1.10)], {0.1: [_run(1.30, best=1.00), _run(1.30)]}, [0, 1],
                    "best-epoch validation loss")
    assert [p.best_constant for p in result.pairs] == [1.00, 1.30]
    assert [p.strategy for p in result.pairs] == [1.05, 1.10]


@pytest.mark.parametrize(
    "strategy, verdict",
    [
        ([1.10, 1.11, 1.12], "lower"),  # every seed lower, mean 0.09 >> 3 sd
        ([1.30, 1.31, 1.29], "higher"),  # every seed higher, by far
        ([1.10, 1.22, 1.19], "within noise"),  # every seed lower, but mean < 3 sd
        ([1.10, 1.11, 1.21], "within noise"),  # one seed higher
    ],
)
def test_a_claim_needs_every_seed_and_three_standard_deviations(strategy: list[float], verdict: str) -> None:
    result = paired([_run(v) for v in strategy], {0.1: [_run(1.20) for _ in strategy]}, [0, 1, 2])
    assert result.verdict() == verdict
    assert result.holds() == (verdict == "lower")


def test_a_diverged_strategy_never_wins() -> None:
    result = paired([_run(1.0, diverged=True), _run(1.0)], {0.1: [_run(1.2), _run(1.2)]}, [0, 1])
    assert not result.holds() and math.isinf(result.pairs[0].strategy)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"seeds": [0]}, "two seeds"),
        ({"measure": "accuracy"}, "unknown measure"),
        ({"constants": {0.1: [_run(1.0)]}}, "one run per seed"),
        ({"constants": {}}, "one run per seed"),
    ],
)
def test_paired_rejects_what_cannot_be_paired(kwargs: dict, match: str) -> None:
    args = {"strategy": [_run(1.0), _run(1.0)], "constants": {0.1: [_run(1.1), _run(1.1)]}, "seeds": [0, 1]} | kwargs
    with pytest.raises(ValueError, match=match):
        paired(**args)


def test_table_summary_and_figure_show_every_seed() -> None:
    result = paired([_run(1.10), _run(1.12)], {0.1: [_run(1.20), _run(1.23)], 0.2: [_run(1.3), _run(1.3)]}, [3, 4])
    table = paired_table(result, "cosine")
    assert "| 3 |" in table.replace("   ", " ").replace("  ", " ") and "0.1000" in table and "0.1100" in table
    summary = paired_summary(result)
    assert "mean difference 0.1050" in summary and "holds" in summary
    mixed = paired([_run(1.10), _run(1.30)], {0.1: [_run(1.20), _run(1.20)]}, [0, 1])
    assert "does NOT hold (within noise)" in paired_summary(mixed)
    ax = plot_paired(result, "cosine")
    assert len([line for line in ax.get_lines() if line.get_marker() in ("o", "s")]) == 2
    assert [t.get_text() for t in ax.texts] == ["0.1", "0.1"]


# --- the noisy parabola (lecture 2) ------------------------------------------------------------


def test_the_floor_formula() -> None:
    assert noise_floor(2.0, 0.5) == pytest.approx(0.25)
    assert stationary_excess(0.5, 2.0, 0.5) == pytest.approx(0.25)  # ηL = 1: the excess equals the floor
    assert stationary_excess(0.05, 1.0, 1.0) == pytest.approx(0.5 * 0.05 / 1.95)
    assert math.isinf(stationary_excess(2.0, 1.0, 1.0))


def test_the_exact_expectation_settles_at_the_floor_and_follows_a_schedule() -> None:
    settled = expected_excess(0.2, 1.0, 1.0, x0=3.0, steps=400)
    assert settled[0] == pytest.approx(4.5) and settled[-1] == pytest.approx(stationary_excess(0.2, 1.0, 1.0))
    assert expected_excess([0.5, 0.0], 2.0, 0.0, x0=1.0).tolist() == pytest.approx([1.0, 0.0, 0.0])


def test_simulated_runs_agree_with_the_expectation() -> None:
    rates = [0.5] * 50 + [0.05] * 50  # a schedule, too
    xs = noisy_gd(rates, curvature=1.0, noise=1.0, x0=2.0, runs=20_000, seed=1)
    simulated = 0.5 * (xs**2).mean(axis=1)
    exact = expected_excess(rates, 1.0, 1.0, x0=2.0)
    assert xs.shape == (101, 20_000)
    assert np.allclose(simulated, exact, rtol=0.05, atol=0.002)
    assert np.array_equal(xs, noisy_gd(rates, 1.0, 1.0, 2.0, runs=20_000, seed=1))


@pytest.mark.parametrize("lrs, steps", [(0.1, None), (0.1, 0), ([0.1, -0.1], None), ([[0.1]], None), ([0.1, 0.2], 3)])
def test_bad_rates_are_rejected(lrs: object, steps: int | None) -> None:
    with pytest.raises(ValueError):
        expected_excess(lrs, steps=steps)  # type: ignore[arg-type]


# --- figures ------------------------------------------------------------------------------------


def test_plot_rounds_puts_the_start_at_step_0_and_each_round_at_its_step() -> None:
    h = History(train_loss=[1.5, 1.2], val_loss=[1.6, 1.3], initial_train_loss=2.0, initial_val_loss=2.1,
                epochs_planned=2)
    fig = plot_rounds({"a": h}, 75)
    train_ax, val_ax = fig.axes[:2]
    assert list(train_ax.get_lines()[0].get_xdata()) == [0, 75, 150]
    assert list(val_ax.get_lines()[0].get_ydata()) == [2.1, 1.6, 1.3]
    low, top = train_ax.get_ylim()
    assert 1.0 < low < 1.2 and 2.1 < top < 2.3  # fitted to the values, not from 0


def test_the_last_rate_of_a_schedule_holds_for_a_whole_step() -> None:
    ax = plot_schedules({"s": [1.0, 0.5, 0.25]})
    line = ax.get_lines()[0]
    assert list(line.get_xdata()) == [0, 1, 2, 3] and list(line.get_ydata()) == [1.0, 0.5, 0.25, 0.25]
