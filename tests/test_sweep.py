"""Unit tests for lrlab.sweep (learning-rate sweeps, their table and summary plot)."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pytest

from lrlab.sweep import final_losses, plot_by_rate, plot_final_losses, run_sweep, run_sweep_seeds, sweep_table
from lrlab.train import History


@pytest.fixture(scope="module")
def sweep() -> dict[float, History]:
    return run_sweep([0.01, 0.3, 50.0], epochs=3, dataset="iris")


def test_run_sweep_same_start_different_rates(sweep: dict[float, History]) -> None:
    assert list(sweep) == [0.01, 0.3, 50.0]
    starts = {h.initial_train_loss for h in sweep.values()}
    assert len(starts) == 1  # same seed, same initial weights
    assert sweep[0.3].train_loss[-1] < sweep[0.01].train_loss[-1]


@pytest.mark.parametrize("rates", [[], [0.1, 0.1]])
def test_run_sweep_rejects_bad_rates(rates: list[float]) -> None:
    with pytest.raises(ValueError):
        run_sweep(rates, epochs=1, dataset="iris")


def test_sweep_table_rows_columns_and_bands(sweep: dict[float, History]) -> None:
    table = sweep_table(sweep, epochs=[1, 3], bands={0.01: "slow", 0.3: "good", 50.0: "x"})
    lines = table.splitlines()
    assert "Training Loss ep 1" in lines[0] and "Validation Accuracy ep 3" in lines[0]
    assert lines[0].rstrip("| ").endswith("Band")
    assert len(lines) == 2 + 3
    first = [c.strip() for c in lines[2].split("|")[1:-1]]
    assert first[0] == "0.01" and all(len(c.split(".")[1]) == 4 for c in first[1:5])
    with pytest.raises(ValueError):
        sweep_table(sweep, epochs=[0])


def test_diverged_runs_read_stopped_and_plot_at_the_top() -> None:
    h = History(train_loss=[2.0, math.inf], val_loss=[2.0, math.inf], val_acc=[0.1, 0.1],
                initial_train_loss=1.0, epochs_planned=4, stopped_nonfinite=True)
    ok = History(train_loss=[0.9, 0.5], val_loss=[0.9, 0.6], val_acc=[0.5, 0.7], initial_train_loss=1.0)
    ok2 = History(train_loss=[0.9, 0.4], val_loss=[0.9, 0.5], val_acc=[0.5, 0.8], initial_train_loss=1.0)
    assert "stopped" in sweep_table({1.0: h}, epochs=[3])
    assert "diverged |" in sweep_table({1.0: h}, epochs=[2])
    assert final_losses(h) == (math.inf, math.inf)
    ax = plot_final_losses({0.1: [ok, ok2], 1.0: [ok, h]})
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.texts] == ["lr=1: diverged in 1 of 2 seeds"]
    bars = [c for c in ax.containers]
    assert len(bars) == 3  # training, validation, best-epoch validation
    # every seed is a hollow marker, also the seed that did not diverge at rate 1 (which has no mean)
    seeds = [line for line in ax.get_lines() if line.get_linestyle() == "None" and line.get_markerfacecolor() == "none"
             and len(line.get_xdata())]
    assert [list(zip(line.get_xdata(), line.get_ydata())) for line in seeds][0] == [(0.1, 0.5), (0.1, 0.4), (1.0, 0.5)]
    assert "hollow markers: the single seeds" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close("all")


def test_run_sweep_seeds_and_plot_by_rate() -> None:
    sweeps = run_sweep_seeds([0.01, 50.0], seeds=(0, 1), epochs=2, dataset="iris")
    assert list(sweeps) == [0.01, 50.0] and all(len(v) == 2 for v in sweeps.values())
    assert sweeps[0.01][0].train_loss != sweeps[0.01][1].train_loss  # the seeds differ
    ax = plot_by_rate({"SGD": sweeps})
    assert any(t.get_text().startswith("SGD lr=50: diverged in 2 of 2") for t in ax.texts)
    with pytest.raises(ValueError):
        run_sweep_seeds([0.1], seeds=(), epochs=1, dataset="iris")
    plt.close("all")
