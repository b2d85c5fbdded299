"""Learning-rate sweeps: many seeded runs that differ only in the rate (lecture 3).

Every run in a sweep uses the same split, the same initial weights and the same batch
order, so the learning rate is the only thing that changes.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from tabulate import tabulate

from lrlab.data import load_split
from lrlab.report import loss_at, value_at
from lrlab.train import History, run


def run_sweep(rates: Sequence[float], *, dataset: str = "digits", seed: int = 0, **kwargs: Any) -> dict[float, History]:
    """Train once per learning rate (same data, seed and model) and return ``{rate: History}``.

    ``kwargs`` go to :func:`lrlab.run` (``epochs``, ``hidden``, ``batch_size``, …); runs are
    silent. Rates must be distinct and positive.
    """
    if not rates:
        raise ValueError("run_sweep needs at least one rate")
    if len(set(rates)) != len(rates):
        raise ValueError(f"rates must be distinct, got {list(rates)}")
    kwargs.setdefault("verbose", False)
    split = kwargs.pop("split", None) or load_split(dataset, seed=seed, n_train=kwargs.pop("n_train", None))
    return {float(lr): run(lr, dataset=dataset, seed=seed, split=split, **kwargs) for lr in rates}


def sweep_table(
    runs: Mapping[float, History],
    epochs: Sequence[int],
    bands: Mapping[float, str] | None = None,
) -> str:
    """One row per rate: training loss at each of ``epochs``, then the validation loss and
    validation accuracy at the last of them (4 decimals; ``stopped`` after a divergence).

    ``bands`` optionally adds a last column naming each rate's behaviour.
    """
    if not runs or not epochs:
        raise ValueError("sweep_table needs runs and epochs")
    if min(epochs) < 1:
        raise ValueError(f"epochs count from 1, got {list(epochs)}")
    last = max(epochs)
    headers = ["Learning Rate"] + [f"Training Loss ep {e}" for e in epochs]
    headers += [f"Validation Loss ep {last}", f"Validation Accuracy ep {last}"]
    if bands is not None:
        headers.append("Band")
    rows = []
    for lr, h in runs.items():
        limit = h.divergence_limit
        row = [f"{lr:g}"] + [loss_at(h.train_loss, e, limit) for e in epochs]
        row += [loss_at(h.val_loss, last, limit), value_at(h.val_acc, last)]
        if bands is not None:
            row.append(bands[lr])
        rows.append(row)
    align = ["right"] * len(headers)
    if bands is not None:
        align[-1] = "left"
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True, colalign=align)


def final_losses(history: History) -> tuple[float, float]:
    """(training, validation) loss at the end of a run; ``inf`` when it diverged."""
    if history.diverged or not history.train_loss:
        return math.inf, math.inf
    return history.train_loss[-1], history.val_loss[-1]


def plot_final_losses(
    runs: Mapping[float, History],
    bands: Mapping[float, str] | None = None,
    ax: Axes | None = None,
    title: str = "Final loss against learning rate",
) -> Axes:
    """Final training (solid) and validation (dashed) loss against the rate, log–log.

    Diverged runs have no final loss: they are drawn as × at the top edge. With ``bands``,
    each rate is labelled with its band name.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 4.0))
    finite = {lr: final_losses(h) for lr, h in runs.items() if math.isfinite(final_losses(h)[0])}
    xs = list(finite)
    ax.plot(xs, [t for t, _ in finite.values()], "o-", color="tab:blue", label="training")
    ax.plot(xs, [v for _, v in finite.values()], "s--", color="tab:orange", label="validation")
    top = max(h.initial_train_loss for h in runs.values()) * 2
    diverged = [lr for lr in runs if lr not in finite]
    if diverged:
        ax.plot(diverged, [top] * len(diverged), "x", color="tab:red", markersize=10, mew=2, label="diverged")
    if bands is not None:
        for lr in runs:
            y = top if lr in diverged else finite[lr][0]
            ax.annotate(bands[lr], (lr, y), textcoords="offset points", xytext=(0, 8),
                        ha="center", fontsize="small", rotation=30)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("final cross-entropy loss (log scale)")
    ax.set_title(title)
    ax.legend(fontsize="small", loc="lower left")
    ax.grid(alpha=0.3, which="both")
    return ax
