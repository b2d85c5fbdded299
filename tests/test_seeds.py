"""Unit tests for lrlab.seeds: mean and spread over seeds, and what counts as "lower"."""
from __future__ import annotations

import math

import pytest

from lrlab.seeds import (
    Spread,
    best_val_loss,
    clearly_below,
    compare,
    diverged_count,
    final_val_loss,
    run_seeds,
    seeds_table,
)
from lrlab.train import History


def _run(final: float, best: float | None = None, diverged: bool = False) -> History:
    val = [2.0, best if best is not None else final, final]
    if diverged:
        val[-1] = math.inf
    return History(train_loss=[2.0, 1.0, 0.5], val_loss=val, val_acc=[0.1, 0.5, 0.9], initial_train_loss=2.3,
                   epochs_planned=3, stopped_nonfinite=diverged)


def test_spread_reports_mean_and_range_at_four_decimals() -> None:
    s = Spread((0.1, 0.2, 0.3))
    assert s.complete and s.mean == pytest.approx(0.2) and (s.low, s.high) == (0.1, 0.3)
    assert str(s) == "0.2000 (0.1000–0.3000)"
    empty = Spread((0.1, math.nan))
    assert not empty.complete and math.isnan(empty.mean) and str(empty) == "—"


def test_clearly_below_needs_every_seed_below_every_seed() -> None:
    low, high = Spread((0.10, 0.12)), Spread((0.13, 0.20))
    overlapping = Spread((0.11, 0.30))
    assert clearly_below(low, high) and not clearly_below(high, low)
    assert not clearly_below(low, overlapping)
    assert compare(low, high) == "lower" and compare(high, low) == "higher"
    assert compare(low, overlapping) == "within the spread"
    assert compare(low, Spread((math.nan,))) == "within the spread"  # no verdict against a diverged seed


def test_measures_give_a_diverged_seed_no_value() -> None:
    runs = [_run(0.3, best=0.2), _run(0.4), _run(0.5, diverged=True)]
    assert final_val_loss(runs[:2]).values == (0.3, 0.4)
    assert best_val_loss(runs[:1]).values == (0.2,)
    assert not final_val_loss(runs).complete
    assert diverged_count(runs) == "1 of 3"


def test_seeds_table_rows_and_dashes() -> None:
    table = seeds_table({"ok": [_run(0.3), _run(0.5)], "bad": [_run(0.3), _run(0.4, diverged=True)]}, name="Rate")
    lines = table.splitlines()
    assert lines[0].split("|")[1].strip() == "Rate" and "mean (min–max)" in lines[0]
    ok = [c.strip() for c in lines[2].strip("|").split("|")]
    bad = [c.strip() for c in lines[3].strip("|").split("|")]
    assert ok[:3] == ["ok", "2", "0 of 2"] and ok[4] == "0.4000 (0.3000–0.5000)"
    assert bad[2] == "1 of 2" and set(bad[3:]) == {"—"}
    with pytest.raises(ValueError):
        seeds_table({})


def test_run_seeds_runs_one_seed_each_and_refuses_a_fixed_seed() -> None:
    runs = run_seeds(0.1, seeds=(0, 1), dataset="iris", epochs=2)
    assert len(runs) == 2 and runs[0].train_loss != runs[1].train_loss
    with pytest.raises(ValueError):
        run_seeds(0.1, seed=3, dataset="iris", epochs=1)
    with pytest.raises(ValueError):
        run_seeds(0.1, seeds=(), dataset="iris", epochs=1)
