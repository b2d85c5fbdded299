"""Unit tests for lrlab.iterates (tables and plots of quadratic-bowl iterates)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from lrlab import gd_bowl, gd_quadratic
from lrlab.iterates import behaviour, iterate_table, plot_bowl_paths, plot_iterates


@pytest.mark.parametrize(
    "eta_l, expected",
    [
        (0.1, "monotone"),
        (1.0, "one step"),
        (1.5, "oscillating, shrinking"),
        (2.0, "oscillating, constant"),
        (2.1, "diverging"),
        (-0.5, "diverging"),
        (0.0, "stuck"),
    ],
)
def test_behaviour_names_every_regime(eta_l: float, expected: str) -> None:
    assert behaviour(1.0 - eta_l) == expected


def test_behaviour_rejects_non_finite() -> None:
    with pytest.raises(ValueError):
        behaviour(float("nan"))


def test_iterate_table_prints_four_decimals_and_no_negative_zero() -> None:
    table = iterate_table({"a": gd_quadratic(1.5, steps=3), "b": gd_quadratic(1.0, steps=3)}, steps=[0, 1, 3])
    lines = table.splitlines()
    assert [c.strip() for c in lines[0].split("|")[1:-1]] == ["Run", "Step 0", "Step 1", "Step 3"]
    assert "-0.5000" in lines[2] and "-0.1250" in lines[2]
    assert "-0.0000" not in table and "0.0000" in lines[3]


def test_iterate_table_uses_scientific_notation_for_huge_values() -> None:
    table = iterate_table({"big": gd_quadratic(3.0, steps=30)}, steps=[30])
    assert "e+" in table


@pytest.mark.parametrize(
    "runs, steps",
    [({}, [0]), ({"a": np.ones(3)}, [5]), ({"a": np.ones((3, 2))}, [0])],
)
def test_iterate_table_rejects_bad_input(runs: dict, steps: list[int]) -> None:
    with pytest.raises(ValueError):
        iterate_table(runs, steps)


def test_plots_label_axes_and_draw_every_run() -> None:
    ax = plot_iterates({"a": gd_quadratic(0.5), "b": gd_quadratic(1.5)}, absolute=True)
    assert ax.get_yscale() == "log" and ax.get_xlabel() and ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    curv = (10.0, 1.0)
    ax2 = plot_bowl_paths({"p": gd_bowl(0.1, curv, steps=5)}, curv)
    assert "minimum" in [t.get_text() for t in ax2.get_legend().get_texts()]
    with pytest.raises(ValueError):
        plot_bowl_paths({"p": gd_bowl(0.1, (1.0, 1.0, 1.0), (1.0, 1.0, 1.0))}, (1.0, 1.0, 1.0))
    plt.close("all")
