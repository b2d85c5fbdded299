"""Figures the lectures share: loss curves (training AND validation), sweeps, schedules.

Every lecture gets the same conventions from here:

* colours from the Okabe–Ito palette (distinguishable with every common colour-vision
  deficiency) plus a cue that needs no colour: a marker per run on loss curves, a line style
  per curve on schedule plots; training solid, validation dashed;
* a sweep over a learning rate uses a sequential colormap (viridis) with a colour bar;
* integer epoch ticks;
* a curve that leaves the top of the axes is cut there and drawn again where it comes back;
  a ▲ and a label on the top edge say when it left, and whether it diverged (a loss above
  :data:`~lrlab.train.DIVERGENCE_LOSS` or not finite); the axes never stretch to fit a
  diverged value, and axes that reach :data:`~lrlab.train.DIVERGENCE_LOSS` show it as a line;
* optional fixed y-limits, so a curve that barely moves also looks like it barely moves;
* :func:`show` displays a figure together with a one-sentence description that a screen
  reader can read (it is also the figure's plain-text output, which nbval compares).
"""
from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Colormap, ListedColormap, LogNorm, to_hex
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, MaxNLocator, NullFormatter

from lrlab.train import DIVERGENCE_LOSS, History, is_diverged_loss

# Okabe & Ito (2008), "Color Universal Design"; yellow is left out (unreadable on white).
OKABE_ITO: dict[str, str] = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "bluish green": "#009E73",
    "reddish purple": "#CC79A7",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "black": "#000000",
}
_COLORS = tuple(OKABE_ITO.values())
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "p")
_LINESTYLES: tuple[str | tuple[int, tuple[int, ...]], ...] = (
    "-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (8, 2)), (0, (1, 3)),
)
TRAINING_STYLE = "-"
VALIDATION_STYLE = "--"
DIVERGED_MARKER = "^"
#: viridis without its last, yellow 15 % (too pale on white), for sweeps over a rate.
RATE_CMAP: Colormap = ListedColormap(plt.get_cmap("viridis")(range(0, 218)), name="viridis_dark")


@dataclass(frozen=True)
class Style:
    """How one run or schedule is drawn: colour, marker and line style."""

    color: str
    marker: str
    linestyle: str | tuple[int, tuple[int, ...]]


_ASSIGNED: dict[str, int] = {}


def _style(index: int) -> Style:
    return Style(_COLORS[index % len(_COLORS)], _MARKERS[index % len(_MARKERS)],
                 _LINESTYLES[index % len(_LINESTYLES)])


def style_for(name: str) -> Style:
    """A stable style for a run or strategy name (first come, first served), so a name keeps
    its colour, marker and line style in every figure of a lecture."""
    if name not in _ASSIGNED:
        _ASSIGNED[name] = len(_ASSIGNED)
    return _style(_ASSIGNED[name])


def styles_for(names: Sequence[str]) -> dict[str, Style]:
    """:func:`style_for` of each name, except that no two names of one figure share a colour:
    a name whose colour is taken in this figure gets the first free one (up to seven names;
    the palette has seven colours)."""
    taken: set[str] = set()
    styles: dict[str, Style] = {}
    for name in names:
        style = style_for(name)
        if style.color in taken:
            free = next((i for i in range(len(_COLORS)) if _COLORS[i] not in taken), _ASSIGNED[name])
            style = _style(free)
        taken.add(style.color)
        styles[name] = style
    return styles


def place_legend(ax: Axes, where: str | None = "best", ncol: int = 1) -> None:
    """A legend inside the axes (``"best"``), below them (``"below"``: for crowded plots, so
    it never covers data), or none (``None``)."""
    if where is None:
        return
    if where == "below":
        ax.legend(fontsize="small", ncol=max(ncol, 2), loc="upper center", bbox_to_anchor=(0.5, -0.16))
    else:
        ax.legend(fontsize="small", ncol=ncol, loc=where)


def new_axes(ncols: int = 1, nrows: int = 1, figsize: tuple[float, float] | None = None,
             **kwargs: Any) -> tuple[Figure, Any]:
    """``plt.subplots`` with constrained layout, so titles, labels, legends and colour bars
    never overlap."""
    size = figsize or (7.0 * ncols if ncols > 1 else 7.0, 4.0 * nrows)
    return plt.subplots(nrows, ncols, figsize=size, layout="constrained", **kwargs)


def _axes(ax: Axes | None) -> Axes:
    return ax if ax is not None else new_axes()[1]


def epoch_axis(ax: Axes, label: str = "epoch", histories: Sequence[History] = ()) -> None:
    """Integer ticks (an epoch is never 2.5) and a label on the x axis; with ``histories``, the
    axis spans every planned epoch, so a run that stopped early does not shrink it."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(label)
    epochs = max((max(h.epochs_planned, h.epochs_run) for h in histories), default=0)
    if epochs > 1:
        ax.set_xlim(0.5, epochs + 0.5)


def log_scale(ax: Axes, axis: str = "y") -> None:
    """A log scale with unlabelled minor ticks at 2× and 5× each power of ten (enough to read
    values by, and far cheaper to draw than the default eight per decade)."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    target.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
    target.set_minor_formatter(NullFormatter())


def loss_limits(histories: Sequence[History], logy: bool) -> tuple[float, float]:
    """Y-limits that show every loss of every run that does not count as diverged (values
    above :data:`~lrlab.train.DIVERGENCE_LOSS` or not finite do not stretch the axes)."""
    shown: list[float] = []
    for h in histories:
        shown += [v for v in h.train_loss + h.val_loss if not is_diverged_loss(v)]
        if math.isfinite(h.initial_train_loss):
            shown.append(h.initial_train_loss)
    if not shown:
        return (0.1, 10.0) if logy else (0.0, 1.0)
    low, high = min(shown), max(shown)
    if logy:
        low = max(low, 1e-12)
        return low / 1.6, high * 1.6
    pad = 0.06 * (high - low or abs(high) or 1.0)
    return min(0.0, low - pad), high + pad


def drawn_values(values: Sequence[float], top: float) -> tuple[list[float], int | None]:
    """What to draw of a curve on axes whose top is ``top`` (> 0), and the first epoch
    (1-based) at which it leaves them (None if it never does).

    Finite values are drawn as they are: the axes cut a curve that rises past the top and
    show it again where it comes back down. The first non-finite value ends the curve with
    a point far above the top, so its last segment leaves through the top edge.
    """
    shown: list[float] = []
    left: int | None = None
    for epoch, v in enumerate(values, start=1):
        if not math.isfinite(v):
            return shown + [10.0 * top], left or epoch
        if v > top and left is None:
            left = epoch
        shown.append(v)
    return shown, left


def divergence_line(ax: Axes, low: float, top: float) -> None:
    """A dotted line at :data:`~lrlab.train.DIVERGENCE_LOSS` when the y-axis reaches it: a
    loss above it counts as diverged (the problem sets' rule), even if the run comes back."""
    if low < DIVERGENCE_LOSS < top:
        ax.axhline(DIVERGENCE_LOSS, color="black", linestyle=":", linewidth=1)
        ax.annotate(f"loss {DIVERGENCE_LOSS:g}: diverged above", (1.0, DIVERGENCE_LOSS),
                    xycoords=("axes fraction", "data"), xytext=(-4, -3), textcoords="offset points",
                    ha="right", va="top", fontsize="small")


def _mark_left_axes(ax: Axes, epoch: int, top: float, color: str, text: str, slot: int) -> None:
    """A ▲ on the top edge at ``epoch`` and a label under it (``slot`` stacks labels)."""
    ax.plot([epoch], [top], DIVERGED_MARKER, color=color, markersize=10, markeredgecolor="black",
            clip_on=False, zorder=5)
    ax.annotate(text, (epoch, top), xytext=(6, -12 - 13 * slot), textcoords="offset points",
                fontsize="small", color="black", va="top",
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": color, "alpha": 0.9})


def why_it_left(h: History, epoch: int) -> str:
    """What the label of a ▲ at ``epoch`` says: the run diverged there, or it left the axes
    (rose past their top, or stopped being finite), and when it diverged if that differs."""
    if h.diverged and h.diverged_epoch == epoch:
        return f"diverged (epoch {epoch})"
    at_epoch = [c[epoch - 1] for c in (h.train_loss, h.val_loss) if len(c) >= epoch]
    what = "not finite" if any(not math.isfinite(v) for v in at_epoch) else "off the axes"
    return f"{what} (epoch {epoch})" + (f"; diverged in epoch {h.diverged_epoch}" if h.diverged else "")


def draw_run(ax: Axes, name: str, h: History, top: float, color: str, marker: str,
             label_prefix: str, slot: int = 0) -> bool:
    """Training (solid) and validation (dashed) loss of one run on axes whose top is ``top``.

    Returns True when the run left the axes (rose past ``top`` or stopped on a non-finite
    loss); a ▲ and a label on the top edge then say when, and whether it diverged.
    """
    left: list[int] = []
    for values, linestyle, what in ((h.train_loss, TRAINING_STYLE, "training"),
                                    (h.val_loss, VALIDATION_STYLE, "validation")):
        shown, edge = drawn_values(values, top)
        ax.plot(range(1, len(shown) + 1), shown, linestyle=linestyle, color=color, marker=marker,
                markersize=4, markevery=max(1, len(shown) // 10), markerfacecolor=color if what == "training" else "white",
                label=f"{label_prefix}{what}")
        if edge is not None:
            left.append(edge)
    if not left:
        return False
    epoch = min(left)
    _mark_left_axes(ax, epoch, top, color, f"{name}: {why_it_left(h, epoch)}", slot)
    return True


def plot_losses(
    runs: History | Mapping[str, History],
    ax: Axes | None = None,
    logy: bool = False,
    title: str | None = None,
    *,
    ylim: tuple[float, float] | None = None,
    legend: str | None = "best",
    colors: Mapping[str, str] | None = None,
) -> Axes:
    """Training (solid) and validation (dashed) loss per epoch, one colour and marker per run.

    Both curves are always drawn: a falling training loss alone can hide overfitting. A curve
    that leaves the top of the axes is marked there with a ▲ and a label giving the epoch
    (see :func:`draw_run`). ``ylim`` fixes the y-axis (otherwise it fits every loss that does
    not count as diverged); axes that reach 100 show :func:`divergence_line`. ``legend`` is
    ``"best"``, ``"below"`` or None (see :func:`place_legend`); ``colors`` overrides the
    colour of named runs (e.g. a rate's colour on a sweep's sequential scale).
    """
    single = isinstance(runs, History)
    histories = {"run": runs} if single else dict(runs)
    ax = _axes(ax)
    low, top = ylim if ylim is not None else loss_limits(list(histories.values()), logy)
    styles = styles_for(list(histories))
    slot = 0
    for name, h in histories.items():
        style = styles[name]
        color = (colors or {}).get(name, style.color)
        prefix = "" if single else f"{name} "
        slot += draw_run(ax, name, h, top, color, style.marker, prefix, slot)
    divergence_line(ax, low, top)
    if logy:
        log_scale(ax)
    ax.set_ylim(low, top)
    epoch_axis(ax, histories=list(histories.values()))
    ax.set_ylabel("cross-entropy loss" + (" (log scale)" if logy else ""))
    ax.set_title(title or "Training (solid) and validation (dashed) loss")
    place_legend(ax, legend, ncol=2 if len(histories) > 3 else 1)
    ax.grid(alpha=0.3)
    return ax


def plot_accuracy(
    runs: History | Mapping[str, History],
    ax: Axes | None = None,
    title: str = "Validation accuracy",
    *,
    ylim: tuple[float, float] = (0.0, 1.0),
) -> Axes:
    """Validation accuracy per epoch (dashed, like every validation curve), one colour and
    marker per run (the same as in :func:`plot_losses`), on a fixed 0–1 axis by default."""
    histories = {"run": runs} if isinstance(runs, History) else dict(runs)
    ax = _axes(ax)
    styles = styles_for(list(histories))
    for name, h in histories.items():
        style = styles[name]
        ax.plot(range(1, len(h.val_acc) + 1), h.val_acc, VALIDATION_STYLE, color=style.color, marker=style.marker,
                markersize=4, markerfacecolor="white", markevery=max(1, len(h.val_acc) // 10), label=name)
    ax.set_ylim(*ylim)
    epoch_axis(ax, histories=list(histories.values()))
    ax.set_ylabel("validation accuracy")
    ax.set_title(title)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return ax


def rate_colors(rates: Sequence[float], cmap: Colormap = RATE_CMAP) -> ScalarMappable:
    """A log-scaled mapping from learning rate to colour (for a colour bar)."""
    positive = [r for r in rates if r > 0]
    if not positive:
        raise ValueError("need at least one positive rate")
    low, high = min(positive), max(positive)
    if low == high:
        low, high = low / 2, high * 2
    return ScalarMappable(norm=LogNorm(low, high), cmap=cmap)


def plot_sweep(
    runs: Mapping[float, History],
    axes: Sequence[Axes] | None = None,
    *,
    ylim: tuple[float, float] | None = None,
    title: str | None = None,
) -> Figure:
    """A sweep over the learning rate: training loss (left) and validation loss (right) per
    epoch, one line per rate coloured on a sequential scale with a colour bar, log y-axis.
    Each rate also has a marker of its own, named in a legend under the panels, so that
    neighbouring rates stay apart where their colours are close.

    A curve that leaves the top of the axes is marked there with a ▲ and a label.
    """
    if not runs:
        raise ValueError("plot_sweep needs at least one run")
    if axes is None:
        fig, pair = new_axes(2, figsize=(12.0, 4.6), sharey=True)
        axes = list(pair)
    fig = axes[0].figure
    mapping = rate_colors(list(runs))
    low, top = ylim if ylim is not None else loss_limits(list(runs.values()), logy=True)
    for ax, what in zip(axes, ("training", "validation")):
        slot = 0
        for i, (lr, h) in enumerate(runs.items()):
            values = h.train_loss if what == "training" else h.val_loss
            shown, edge = drawn_values(values, top)
            color = mapping.to_rgba(lr)
            ax.plot(range(1, len(shown) + 1), shown, TRAINING_STYLE if what == "training" else VALIDATION_STYLE,
                    color=color, linewidth=1.8, marker=_MARKERS[i % len(_MARKERS)], markersize=5,
                    markevery=(i % 3, 3), markerfacecolor="white", label=f"lr={lr:g}")  # staggered: no overlaps
            if edge is not None:
                _mark_left_axes(ax, edge, top, to_hex(color), f"lr={lr:g}: {why_it_left(h, edge)}", slot)
                slot += 1
        divergence_line(ax, low, top)
        log_scale(ax)
        ax.set_ylim(low, top)
        epoch_axis(ax, histories=list(runs.values()))
        ax.set_title(f"{what.capitalize()} loss ({'solid' if what == 'training' else 'dashed'})")
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel("cross-entropy loss (log scale)")
    bar = fig.colorbar(mapping, ax=list(axes), pad=0.02)
    bar.set_label("learning rate (log scale)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 10), fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


def plot_schedules(
    schedules: Mapping[str, Sequence[float]],
    ax: Axes | None = None,
    logy: bool = False,
    xlabel: str = "step",
    title: str = "Learning-rate schedules",
    *,
    integer_x: bool = True,
    legend: str | None = "best",
    colors: Mapping[str, str] | None = None,
) -> Axes:
    """Learning rate against step (or epoch) for several schedules, drawn as steps (entry ``i``
    is the rate used from step ``i`` to step ``i + 1``, the last one too): a colour and a line
    style each, so overlapping schedules stay distinguishable. ``colors`` overrides the colour
    of named schedules, as in :func:`plot_losses` (the same run in the same colour in both)."""
    ax = _axes(ax)
    styles = styles_for(list(schedules))
    for name, lrs in schedules.items():
        style = styles[name]
        held = list(lrs) + list(lrs[-1:])  # the last rate holds for its whole step as well
        ax.plot(range(len(held)), held, color=(colors or {}).get(name, style.color), linestyle=style.linestyle,
                linewidth=2, label=name,
                drawstyle="steps-post")  # a rate holds from its step until the next one
    if integer_x:
        epoch_axis(ax, xlabel)
    else:
        ax.set_xlabel(xlabel)
    ax.set_ylabel("learning rate" + (" (log scale)" if logy else ""))
    if logy:
        log_scale(ax)
    ax.set_title(title)
    place_legend(ax, legend)
    ax.grid(alpha=0.3)
    return ax


def plot_rounds(
    runs: Mapping[str, History],
    steps: int,
    axes: Sequence[Axes] | None = None,
    *,
    logy: bool = False,
    title: str | None = None,
    ylim: tuple[float, float] | None = None,
) -> Figure:
    """Runs measured every ``steps`` optimizer steps (:func:`lrlab.rounds.train_in_rounds`):
    training loss (solid) and validation loss (dashed) in two panels against the optimizer
    step, from the loss before the first step, one colour and marker per run, the same y-axis
    for both panels (fitted to the values unless ``ylim`` is given), one legend below them."""
    if not runs:
        raise ValueError("plot_rounds needs at least one run")
    if axes is None:
        fig, pair = new_axes(2, figsize=(12.0, 4.6), sharey=True)
        axes = list(pair)
    fig = axes[0].figure
    if ylim is None:
        low, top = loss_limits(list(runs.values()), logy)
        if not logy:  # fit the values, not from 0: these curves are compared by their levels
            shown = [v for h in runs.values()
                     for v in [h.initial_train_loss, h.initial_val_loss] + h.train_loss + h.val_loss
                     if not is_diverged_loss(v)]
            pad = 0.05 * (max(shown) - min(shown) or 1.0)
            low, top = min(shown) - pad, max(shown) + pad
    else:
        low, top = ylim
    styles = styles_for(list(runs))
    for ax, what in zip(axes, ("training", "validation")):
        slot = 0
        for name, h in runs.items():
            start = h.initial_train_loss if what == "training" else h.initial_val_loss
            values = [start] + (h.train_loss if what == "training" else h.val_loss)
            shown_values, edge = drawn_values(values, top)
            style = styles[name]
            ax.plot([steps * i for i in range(len(shown_values))], shown_values,
                    TRAINING_STYLE if what == "training" else VALIDATION_STYLE, color=style.color, marker=style.marker,
                    markersize=4, label=name, markerfacecolor=style.color if what == "training" else "white")
            if edge is not None:
                _mark_left_axes(ax, steps * (edge - 1), top, style.color, f"{name}: off the axes", slot)
                slot += 1
        if logy:
            log_scale(ax)
        ax.set_ylim(low, top)
        ax.set_xlabel("optimizer step")
        ax.set_title(f"{what.capitalize()} loss ({'solid' if what == 'training' else 'dashed'}), every {steps} steps")
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel("cross-entropy loss" + (" (log scale)" if logy else ""))
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=min(len(runs), 4), fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes. A figure with a layout engine (every figure of
    :func:`new_axes`) is already fitted and drawn once; others are cropped as Jupyter's inline
    backend crops them (which draws them twice)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches=None if fig.get_layout_engine() is not None else "tight")
    return buffer.getvalue()


def _figure_and_text(fig: Figure | Axes, alt: str) -> tuple[Figure, str]:
    if not alt.strip():
        raise ValueError("every figure needs a description")
    return (fig.figure if isinstance(fig, Axes) else fig), f"Figure: {alt.strip()}"


def display_figure(fig: Figure | Axes, alt: str) -> str:
    """Display the figure as a PNG whose plain-text form is ``"Figure: " + alt``, close it, and
    return that text (for a caption shown elsewhere, e.g. in a widget)."""
    from IPython.display import display

    figure, text = _figure_and_text(fig, alt)
    display({"image/png": base64.b64encode(figure_png(figure)).decode("ascii"), "text/plain": text}, raw=True)
    plt.close(figure)
    return text


def show(fig: Figure | Axes, alt: str) -> None:
    """Display a figure with ``alt``, a one-sentence description of what it shows, and close it.

    The description is printed visibly under the image (a screen reader reads it; JupyterLab
    gives images no alt attribute) and is also the image's plain-text form, which text front
    ends show instead of the picture and nbval compares.
    """
    from IPython.display import display

    text = display_figure(fig, alt)
    display({"text/markdown": f"*{text}*", "text/plain": text}, raw=True)
