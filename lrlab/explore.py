"""An interactive learning-rate explorer over precomputed runs (lecture 3).

Nothing trains when the slider moves: every run is computed beforehand, so the widget
responds instantly and the notebook's printed results never depend on the slider.
Use :func:`explorer_figure` (or a static grid of figures) as the view that survives when
widgets cannot run, e.g. on a static render of the notebook.
"""
from __future__ import annotations

import html
from collections.abc import Mapping

import ipywidgets as widgets
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from lrlab.plots import display_figure, divergence_line, draw_run, drawn_values, epoch_axis, log_scale, loss_limits, new_axes, rate_colors
from lrlab.report import format_loss
from lrlab.train import History


def explorer_figure(runs: Mapping[float, History], lr: float, logy: bool = True,
                    ylim: tuple[float, float] | None = None) -> Figure:
    """One figure for rate ``lr``: its training (solid) and validation (dashed) loss, drawn
    over the training loss of every other run of ``runs`` in thin, faint lines of their own
    colour on the sweep's sequential scale (colour bar on the right)."""
    if lr not in runs:
        raise KeyError(f"no precomputed run for learning rate {lr!r}; have {sorted(runs)}")
    fig, ax = new_axes()
    mapping = rate_colors(list(runs))
    low, top = ylim if ylim is not None else loss_limits(list(runs.values()), logy)
    for other, h in runs.items():
        if other != lr:
            shown, _ = drawn_values(h.train_loss, top)
            ax.plot(range(1, len(shown) + 1), shown, "-", color=mapping.to_rgba(other), alpha=0.35, linewidth=1)
    color = to_hex(mapping.to_rgba(lr))
    draw_run(ax, f"lr={lr:g}", runs[lr], top, color, "o", f"lr={lr:g} ")
    divergence_line(ax, low, top)
    if logy:
        log_scale(ax)
    ax.set_ylim(low, top)
    epoch_axis(ax, histories=list(runs.values()))
    ax.set_ylabel("cross-entropy loss" + (" (log scale)" if logy else ""))
    ax.set_title(f"Learning rate {lr:g} (other rates: faint training curves)")
    ax.legend(fontsize="small", loc="lower left")
    ax.grid(alpha=0.3)
    fig.colorbar(mapping, ax=ax, pad=0.02).set_label("learning rate (log scale)")
    return fig


def describe(runs: Mapping[float, History], lr: float) -> str:
    """A one-sentence description of :func:`explorer_figure` for readers who cannot see it."""
    h = runs[lr]
    if h.diverged:
        what = f"diverged in epoch {h.diverged_epoch}"
    else:
        what = f"ends at training loss {format_loss(h.train_loss[-1])} and validation loss {format_loss(h.val_loss[-1])}"
    return (f"Loss curves of learning rate {lr:g}, which {what}, over the faint training curves "
            f"of the other {len(runs) - 1} rates.")


class LrExplorer(widgets.VBox):
    """A slider over learning rates, the loss curves of the selected precomputed run, and a
    one-sentence description of them under the figure.

    Its plain-text form is stable (no widget ids, no figure sizes), so notebooks that
    display it stay comparable by nbval.
    """

    def __init__(self, runs: Mapping[float, History], initial: float | None = None, logy: bool = True) -> None:
        if not runs:
            raise ValueError("LrExplorer needs at least one precomputed run")
        self.runs = dict(runs)
        rates = sorted(self.runs)
        value = initial if initial is not None else rates[len(rates) // 2]
        if value not in self.runs:
            raise KeyError(f"initial rate {value!r} is not one of {rates}")
        self.logy = logy
        self.slider = widgets.SelectionSlider(
            options=[(f"{lr:g}", lr) for lr in rates],
            value=value,
            description="learning rate",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self.output = widgets.Output()
        self.caption = widgets.HTML()
        self.redraws = 0
        self.slider.observe(self._on_change, names="value")
        super().__init__(children=[self.slider, self.output, self.caption])
        self.redraw()

    def _on_change(self, change: dict) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Draw the selected run into the output area (replacing the previous figure)."""
        self.redraws += 1
        lr = self.slider.value
        with self.output:
            self.output.clear_output(wait=True)
            text = display_figure(explorer_figure(self.runs, lr, logy=self.logy), describe(self.runs, lr))
        self.caption.value = f"<em>{html.escape(text)}</em>"  # the description, readable under the figure

    def __repr__(self) -> str:
        rates = ", ".join(f"{lr:g}" for lr in sorted(self.runs))
        return f"LrExplorer(rates=[{rates}], selected={self.slider.value:g})"


def lr_explorer(runs: Mapping[float, History], initial: float | None = None, logy: bool = True) -> LrExplorer:
    """A slider over the rates of ``runs`` that redraws the chosen run's loss curves."""
    return LrExplorer(runs, initial=initial, logy=logy)
