"""Learning-rate sweeps: many seeded runs that differ only in the rate (lecture 3).

Every run in a sweep uses the same split, the same initial weights and the same batch
order, so the learning rate is the only thing that changes; :func:`run_sweep_seeds` repeats
the sweep for several seeds, so that a ranking of rates can be checked against the spread.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from matplotlib.axes import Axes
from tabulate import tabulate

from lrlab.data import load_split
from lrlab.plots import DIVERGED_MARKER, OKABE_ITO, TRAINING_STYLE, VALIDATION_STYLE, Style, log_scale, new_axes, place_legend, styles_for
from lrlab.report import loss_at, value_at
from lrlab.seeds import SEEDS, Spread, best_val_loss, final_train_loss, final_val_loss
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
        row = [f"{lr:g}"] + [loss_at(h.train_loss, e) for e in epochs]
        row += [loss_at(h.val_loss, last), value_at(h.val_acc, last)]
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


def run_sweep_seeds(rates: Sequence[float], seeds: Sequence[int] = SEEDS, **kwargs: Any) -> dict[float, list[History]]:
    """:func:`run_sweep` once per seed: ``{rate: [History of seed 0, seed 1, …]}``.

    Within a seed every rate shares the split, the initial weights and the batch order; the
    seeds differ in all three.
    """
    if not seeds:
        raise ValueError("run_sweep_seeds needs at least one seed")
    by_seed = [run_sweep(rates, seed=seed, **kwargs) for seed in seeds]
    return {lr: [sweep[lr] for sweep in by_seed] for lr in by_seed[0]}


_SERIES = (
    ("final training loss", final_train_loss, TRAINING_STYLE, "o"),
    ("final validation loss", final_val_loss, VALIDATION_STYLE, "s"),
    ("best-epoch validation loss", best_val_loss, ":", "D"),
)


def _draw_spread(ax: Axes, label: str, runs: Mapping[float, Sequence[History]],
                 measure: Callable[[Sequence[History]], Spread], style: Style) -> None:
    """``measure`` against the rate: the mean over seeds with a bar from lowest to highest
    seed, for every rate where no seed diverged."""
    xs = [lr for lr in sorted(runs) if measure(runs[lr]).complete]
    stats = [measure(runs[lr]) for lr in xs]
    means = [s.mean for s in stats]
    ax.errorbar(xs, means, yerr=[[m - s.low for m, s in zip(means, stats)], [s.high - m for m, s in zip(means, stats)]],
                color=style.color, marker=style.marker, linestyle=style.linestyle, capsize=3,
                label=f"{label}, mean (min–max)")


def _draw_seeds(ax: Axes, runs: Mapping[float, Sequence[History]],
                measure: Callable[[Sequence[History]], Spread], style: Style) -> None:
    """``measure`` of every single seed as a small hollow marker, also at rates where another
    seed diverged (a seed that diverged has no value), so one outlying seed shows as one."""
    points = [(lr, v) for lr in sorted(runs) for v in measure(runs[lr]).values if math.isfinite(v)]
    ax.plot([lr for lr, _ in points], [v for _, v in points], linestyle="none", marker=style.marker, markersize=5,
            markerfacecolor="none", markeredgecolor=style.color, zorder=4)


def _mark_diverged(ax: Axes, runs: Mapping[float, Sequence[History]], top: float, color: str,
                   prefix: str, slot: int) -> int:
    """A ▲ on the top edge for every rate where a seed diverged, labelled with how many;
    returns the next free label slot."""
    for lr in sorted(runs):
        n = sum(h.diverged for h in runs[lr])
        if n:
            ax.plot([lr], [top], DIVERGED_MARKER, color=color, markersize=10, markeredgecolor="black",
                    clip_on=False, zorder=5)
            ax.annotate(f"{prefix}lr={lr:g}: diverged in {n} of {len(runs[lr])} seeds", (lr, top),
                        xytext=(-8, -12 - 13 * slot), textcoords="offset points", ha="right", va="top",
                        fontsize="small", bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": color})
            slot += 1
    return slot


def _rate_axes(ax: Axes, low: float, top: float, ylabel: str, title: str) -> None:
    log_scale(ax, "x")
    log_scale(ax, "y")
    ax.set_ylim(low, top)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    place_legend(ax, "below")
    ax.grid(alpha=0.3, which="both")


def _limits(values: list[float], ylim: tuple[float, float] | None) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v)]
    return ylim if ylim is not None else (min(finite) / 1.6, max(finite) * 3.0)


def plot_final_losses(
    runs: Mapping[float, Sequence[History]],
    ax: Axes | None = None,
    title: str = "Final loss against learning rate",
    *,
    ylim: tuple[float, float] | None = None,
) -> Axes:
    """Final training, final validation and best-epoch validation loss against the rate,
    log–log: the mean over seeds with a bar from the lowest to the highest seed, and every
    seed as a small hollow marker.

    A rate where any seed diverged has no mean (its other seeds still show as markers): a ▲
    at the top edge says in how many seeds it diverged.
    """
    if ax is None:
        _, ax = new_axes()
    low, top = _limits([v for lr in runs for _, m, _, _ in _SERIES for v in m(runs[lr]).values], ylim)
    colors = list(OKABE_ITO.values())
    for i, (label, measure, linestyle, marker) in enumerate(_SERIES):
        style = Style(colors[i], marker, linestyle)
        _draw_spread(ax, label, runs, measure, style)
        _draw_seeds(ax, runs, measure, style)
    ax.plot([], [], linestyle="none", marker="o", markerfacecolor="none", markeredgecolor="black",
            label="hollow markers: the single seeds")
    _mark_diverged(ax, runs, top, OKABE_ITO["vermillion"], "", 0)
    _rate_axes(ax, low, top, "cross-entropy loss (log scale)", title)
    return ax


def plot_by_rate(
    curves: Mapping[str, Mapping[float, Sequence[History]]],
    measure: Callable[[Sequence[History]], Spread] = final_val_loss,
    ax: Axes | None = None,
    *,
    ylabel: str = "final validation loss (log scale)",
    title: str = "Final validation loss against learning rate",
    ylim: tuple[float, float] | None = None,
) -> Axes:
    """One line per family of runs (e.g. per optimizer): ``measure`` against the rate, mean
    over seeds with a bar from the lowest to the highest seed, log–log. A rate where a seed
    diverged has no mean: a ▲ on the top edge, labelled with how many seeds diverged."""
    if ax is None:
        _, ax = new_axes()
    low, top = _limits([v for runs in curves.values() for hs in runs.values() for v in measure(hs).values], ylim)
    styles = styles_for(list(curves))
    slot = 0
    for name, runs in curves.items():
        _draw_spread(ax, name, runs, measure, styles[name])
        slot = _mark_diverged(ax, runs, top, styles[name].color, f"{name} ", slot)
    _rate_axes(ax, low, top, ylabel, title)
    return ax
