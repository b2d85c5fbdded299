"""Plots the lectures share: loss curves (training AND validation) and schedules."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from lrlab.train import History

# One colour per strategy everywhere in the course (tab10 order, then cycled).
_PALETTE = plt.get_cmap("tab10").colors
_ASSIGNED: dict[str, tuple[float, float, float]] = {}


def color_for(name: str) -> tuple[float, float, float]:
    """A stable colour for a run or strategy name (first come, first served)."""
    if name not in _ASSIGNED:
        _ASSIGNED[name] = _PALETTE[len(_ASSIGNED) % len(_PALETTE)]
    return _ASSIGNED[name]


def _axes(ax: Axes | None, figsize: tuple[float, float] = (7.0, 4.0)) -> Axes:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=figsize)
    return new


def plot_losses(
    runs: History | Mapping[str, History],
    ax: Axes | None = None,
    logy: bool = False,
    title: str | None = None,
) -> Axes:
    """Training (solid) and validation (dashed) loss per epoch, one colour per run.

    Both curves are always drawn: a falling training loss alone can hide overfitting.
    A diverged run is drawn up to where it stopped and marked with an ×.
    """
    histories = {"run": runs} if isinstance(runs, History) else dict(runs)
    ax = _axes(ax)
    for name, h in histories.items():
        color = color_for(name)
        epochs = range(1, h.epochs_run + 1)
        prefix = "" if isinstance(runs, History) else f"{name} "
        ax.plot(epochs, h.train_loss, "-", color=color, label=f"{prefix}training")
        ax.plot(epochs, h.val_loss, "--", color=color, label=f"{prefix}validation")
        if h.diverged:
            finite = [(e, v) for e, v in zip(epochs, h.train_loss) if math.isfinite(v)]
            if finite:
                ax.plot(*finite[-1], "x", color=color, markersize=10, mew=2)
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy loss")
    if logy:
        ax.set_yscale("log")
    ax.set_title(title or "Training (solid) and validation (dashed) loss")
    ax.legend(fontsize="small", ncol=2 if len(histories) > 3 else 1)
    ax.grid(alpha=0.3)
    return ax


def plot_schedules(
    schedules: Mapping[str, Sequence[float]],
    ax: Axes | None = None,
    logy: bool = False,
    xlabel: str = "step",
    title: str = "Learning-rate schedules",
) -> Axes:
    """Learning rate against step (or epoch) for several schedules on one axes."""
    ax = _axes(ax)
    for name, lrs in schedules.items():
        ax.plot(range(len(lrs)), lrs, color=color_for(name), label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("learning rate")
    if logy:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return ax
