"""An interactive learning-rate explorer over precomputed runs (lecture 3).

Nothing trains when the slider moves: every run is computed beforehand, so the widget
responds instantly and the notebook's printed results never depend on the slider.
Use :func:`explorer_figure` (or a static grid of figures) as the view that survives when
widgets cannot run, e.g. on a static render of the notebook.
"""
from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display
from matplotlib.figure import Figure

from lrlab.plots import plot_losses
from lrlab.train import History


def explorer_figure(runs: Mapping[float, History], lr: float, logy: bool = True) -> Figure:
    """One figure for rate ``lr``: its training and validation loss in colour, every other
    run of ``runs`` in light grey behind it for context."""
    if lr not in runs:
        raise KeyError(f"no precomputed run for learning rate {lr!r}; have {sorted(runs)}")
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    for other, h in runs.items():
        if other != lr:
            epochs = range(1, h.epochs_run + 1)
            ax.plot(epochs, h.train_loss, "-", color="0.85", linewidth=1, zorder=1)
    plot_losses({f"lr={lr:g}": runs[lr]}, ax=ax, logy=logy,
                title=f"Learning rate {lr:g} (other rates in grey)")
    finite = [v for h in runs.values() for v in h.train_loss + h.val_loss if v == v and v < 1e3]
    if logy and finite:
        ax.set_ylim(min(finite) / 2, max(max(finite), 10.0))
    return fig


class LrExplorer(widgets.VBox):
    """A slider over learning rates and the loss curves of the selected precomputed run.

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
        self.redraws = 0
        self.slider.observe(self._on_change, names="value")
        super().__init__(children=[self.slider, self.output])
        self.redraw()

    def _on_change(self, change: dict) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Draw the selected run into the output area (replacing the previous figure)."""
        self.redraws += 1
        with self.output:
            self.output.clear_output(wait=True)
            fig = explorer_figure(self.runs, self.slider.value, logy=self.logy)
            display(fig)
            plt.close(fig)

    def __repr__(self) -> str:
        rates = ", ".join(f"{lr:g}" for lr in sorted(self.runs))
        return f"LrExplorer(rates=[{rates}], selected={self.slider.value:g})"


def lr_explorer(runs: Mapping[float, History], initial: float | None = None, logy: bool = True) -> LrExplorer:
    """A slider over the rates of ``runs`` that redraws the chosen run's loss curves."""
    return LrExplorer(runs, initial=initial, logy=logy)
