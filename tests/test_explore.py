"""Unit tests for lrlab.explore (the learning-rate slider over precomputed runs)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from lrlab.explore import describe, explorer_figure, lr_explorer
from lrlab.train import History


def _runs() -> dict[float, History]:
    return {
        lr: History(train_loss=[2.0, 1.0 / lr], val_loss=[2.1, 1.1 / lr], initial_train_loss=2.3)
        for lr in (0.1, 1.0, 10.0)
    }


def test_figure_highlights_the_chosen_run() -> None:
    fig = explorer_figure(_runs(), 1.0)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["lr=1 training", "lr=1 validation"]
    assert len(ax.get_lines()) == 2 + 2  # two faint context runs + train and val of the chosen one
    context = [line for line in ax.get_lines() if line.get_label().startswith("_")]
    assert len(context) == 2 and all(line.get_alpha() < 1 for line in context)
    assert len({tuple(line.get_color()) for line in context}) == 2  # each in its own rate colour, no grey
    assert ax.get_yscale() == "log"
    assert any(a.get_label() == "<colorbar>" for a in fig.axes)
    with pytest.raises(KeyError):
        explorer_figure(_runs(), 0.5)
    plt.close("all")


def test_slider_lists_the_rates_and_redraws_on_change() -> None:
    explorer = lr_explorer(_runs(), initial=0.1)
    assert explorer.slider.options == (("0.1", 0.1), ("1", 1.0), ("10", 10.0))
    assert explorer.redraws == 1
    explorer.slider.value = 10.0
    assert explorer.redraws == 2
    assert explorer.caption.value.startswith("<em>Figure: Loss curves of learning rate 10,")
    assert repr(explorer) == "LrExplorer(rates=[0.1, 1, 10], selected=10)"
    plt.close("all")


def test_explorer_rejects_empty_or_unknown_initial() -> None:
    with pytest.raises(ValueError):
        lr_explorer({})
    with pytest.raises(KeyError):
        lr_explorer(_runs(), initial=3.0)


def test_description_says_what_the_chosen_run_did() -> None:
    runs = _runs()
    runs[10.0] = History(train_loss=[2.0, float("inf")], val_loss=[2.0, float("inf")], initial_train_loss=2.3,
                         stopped_nonfinite=True)
    assert describe(runs, 1.0) == ("Loss curves of learning rate 1, which ends at training loss 1.0000 and validation "
                                   "loss 1.1000, over the faint training curves of the other 2 rates.")
    assert "diverged in epoch 2" in describe(runs, 10.0)
