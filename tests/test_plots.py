"""Unit tests for lrlab.plots: the conventions every lecture figure relies on."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_hex

from lrlab.plots import (
    OKABE_ITO,
    RATE_CMAP,
    DIVERGED_MARKER,
    drawn_values,
    loss_limits,
    plot_accuracy,
    plot_losses,
    plot_schedules,
    plot_sweep,
    show,
    styles_for,
    why_it_left,
)
from lrlab.train import History


def _good() -> History:
    return History(train_loss=[2.0, 1.0, 0.5, 0.3], val_loss=[2.1, 1.2, 0.7, 0.6], val_acc=[0.2, 0.5, 0.8, 0.9],
                   initial_train_loss=2.3, epochs_planned=4)


def _diverging() -> History:
    """Passes 100 in epoch 3 and stops on a non-finite loss in epoch 4."""
    return History(train_loss=[2.0, 50.0, 9e4, math.inf], val_loss=[2.2, 60.0, 1e6, math.nan],
                   val_acc=[0.2, 0.1, 0.1, 0.1], initial_train_loss=2.3, epochs_planned=8, stopped_nonfinite=True)


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_epoch_ticks_are_integers() -> None:
    ax = plot_losses(_good())
    ax.figure.canvas.draw()
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)


def _edge_markers(ax) -> list:
    return [line for line in ax.get_lines() if line.get_marker() == DIVERGED_MARKER and line.get_markersize() == 10]


def test_a_diverged_run_leaves_through_the_top_edge_with_a_marker_and_a_label() -> None:
    ax = plot_losses({"good": _good(), "lr=9": _diverging()}, logy=True)
    low, top = ax.get_ylim()
    assert top < 1e3  # the chaotic values did not stretch the axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    train = list(lines["lr=9 training"].get_ydata())
    assert train == [2.0, 50.0, 9e4, 10 * top]  # as they are; the non-finite epoch 4 ends it above the top
    markers = _edge_markers(ax)
    assert len(markers) == 1 and list(markers[0].get_xdata()) == [3] and markers[0].get_ydata()[0] == pytest.approx(top)
    assert _texts(ax) == ["lr=9: diverged (epoch 3)"]


def test_a_run_that_leaves_the_axes_and_comes_back_is_drawn_again() -> None:
    back = History(train_loss=[2.0, 40.0, 0.5, 0.4], val_loss=[2.1, 194.8, 1.0, 0.9], initial_train_loss=2.3)
    ax = plot_losses({"back": back}, logy=True, ylim=(0.1, 30.0))
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines["back validation"].get_ydata()) == [2.1, 194.8, 1.0, 0.9]  # cut by the axes, not dropped
    assert [list(m.get_xdata()) for m in _edge_markers(ax)] == [[2]]
    assert _texts(ax) == ["back: diverged (epoch 2)"]  # it passed 100: diverged, even though it came back


def test_the_label_says_why_a_run_left_the_axes_and_when_it_diverged() -> None:
    blown = History(train_loss=[650.0, 1e20, math.nan], val_loss=[3e3, 1e22, math.nan], stopped_nonfinite=True)
    assert why_it_left(blown, 1) == "diverged (epoch 1)"
    assert why_it_left(blown, 3) == "not finite (epoch 3); diverged in epoch 1"  # e.g. on axes that reach 1e36
    high = History(train_loss=[2.0, 50.0, 150.0], val_loss=[2.0, 40.0, 90.0])
    assert why_it_left(high, 2) == "off the axes (epoch 2); diverged in epoch 3"
    assert why_it_left(_good(), 1) == "off the axes (epoch 1)"


def test_axes_that_reach_100_show_the_divergence_line() -> None:
    high = plot_losses({"good": _good()}, logy=True, ylim=(0.1, 300.0))
    assert [list(line.get_ydata()) for line in high.get_lines() if line.get_linestyle() == ":"] == [[100.0, 100.0]]
    assert "loss 100: diverged above" in _texts(high)
    low = plot_losses({"good": _good()}, logy=True, ylim=(0.1, 30.0))
    assert not [line for line in low.get_lines() if line.get_linestyle() == ":"] and not _texts(low)


def test_fixed_y_limits_are_kept_and_values_above_them_are_marked() -> None:
    ax = plot_losses({"good": _good()}, ylim=(0.1, 1.0))
    assert ax.get_ylim() == pytest.approx((0.1, 1.0))
    assert _texts(ax) == ["good: off the axes (epoch 1)"]  # 2.0 > 1.0: not diverged, but not shown either


def test_limits_ignore_diverged_values_and_curves_keep_their_values() -> None:
    low, top = loss_limits([_good(), _diverging()], logy=True)
    assert top < 100.0 and low > 0
    assert drawn_values([1.0, 5.0, 2.0], top=3.0) == ([1.0, 5.0, 2.0], 2)
    assert drawn_values([1.0, 2.0], top=3.0) == ([1.0, 2.0], None)
    assert drawn_values([1.0, 5.0, math.nan, 1.0], top=3.0) == ([1.0, 5.0, 30.0], 2)  # stops at the first nan
    assert drawn_values([1.0, math.inf], top=3.0) == ([1.0, 30.0], 2)


def test_palette_is_okabe_ito_without_grey_and_styles_never_share_a_colour_in_a_figure() -> None:
    palette = set(OKABE_ITO.values())
    assert "#0072B2" in palette and "#D55E00" in palette and "#F0E442" not in palette  # yellow left out
    names = [f"run {i}" for i in range(7)]
    styles_for(names)  # first come, first served: these seven take the seven colours
    late = [f"late {i}" for i in range(3)]
    mixed = styles_for([names[0], *late])
    assert len({s.color for s in mixed.values()}) == 4
    ax = plot_losses({name: _good() for name in names})
    colors = {to_hex(line.get_color()) for line in ax.get_lines()}
    assert colors <= {c.lower() for c in palette}
    greys = [c for c in colors if len(set(bytes.fromhex(c[1:]))) == 1 and c != "#000000"]
    assert not greys


def test_validation_is_dashed_and_training_solid() -> None:
    ax = plot_losses({"a": _good()})
    styles = {line.get_label(): line.get_linestyle() for line in ax.get_lines()}
    assert styles == {"a training": "-", "a validation": "--"}


def test_sweep_figure_has_a_sequential_colour_bar_a_marker_per_rate_and_marks_the_diverged_rate() -> None:
    fig = plot_sweep({0.1: _good(), 0.3: _good(), 9.0: _diverging()})
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(bars) == 1 and "learning rate" in bars[0].get_ylabel()
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 2
    assert all(_texts(ax) == ["lr=9: diverged (epoch 3)"] for ax in panels)
    curves = [line for line in panels[0].get_lines() if line.get_label().startswith("lr=")]
    assert [line.get_label() for line in curves] == ["lr=0.1", "lr=0.3", "lr=9"]
    assert tuple(curves[0].get_color()) == tuple(RATE_CMAP(0.0)) and curves[0].get_color() != curves[1].get_color()
    assert len({line.get_marker() for line in curves}) == 3  # neighbours with close colours stay apart
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["lr=0.1", "lr=0.3", "lr=9"]


def test_schedules_differ_in_line_style_and_accuracy_has_a_fixed_axis() -> None:
    ax = plot_schedules({"a": [1.0, 0.5], "b": [1.0, 0.5]}, legend="below")
    assert len({line.get_linestyle() for line in ax.get_lines()}) == 2
    recoloured = plot_schedules({"a": [1.0, 0.5], "b": [1.0, 0.5]}, colors={"b": OKABE_ITO["vermillion"]})
    assert [to_hex(line.get_color()) for line in recoloured.get_lines()] == [
        to_hex(ax.get_lines()[0].get_color()), OKABE_ITO["vermillion"].lower()]
    ax2 = plot_accuracy({"a": _good()})
    assert ax2.get_ylim() == (0.0, 1.0)


def test_show_displays_the_figure_with_its_description(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[dict] = []
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw=False: shown.append(bundle))
    ax = plot_losses(_good())
    show(ax, "One run whose losses fall.")
    assert shown[0]["text/plain"] == "Figure: One run whose losses fall."
    assert shown[0]["image/png"].startswith("iVBOR")  # base64 of a PNG header
    assert shown[1]["text/markdown"] == "*Figure: One run whose losses fall.*"
    assert not plt.get_fignums()  # closed, so the inline backend does not show it twice
    with pytest.raises(ValueError):
        show(plot_losses(_good()), "  ")


def test_the_epoch_axis_spans_every_planned_epoch_even_for_a_run_that_stopped() -> None:
    ax = plot_losses({"lr=9": _diverging()}, logy=True)
    assert ax.get_xlim() == (0.5, 8.5)  # planned 8 epochs, stopped after 4
