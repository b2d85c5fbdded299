"""Tables and plots for gradient descent on quadratic bowls (lecture 2).

:mod:`lrlab.quadratic` computes the iterates; this module names what they do, prints them
at the course's fixed precision and draws them. Nothing here trains a network.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from tabulate import tabulate

from lrlab.plots import OKABE_ITO, epoch_axis, log_scale, new_axes, styles_for
from lrlab.report import format_number


def behaviour(factor: float) -> str:
    """Name what x ← factor·x does, from the contraction factor ``factor = 1 − η·L``.

    >>> [behaviour(f) for f in (0.5, 0.0, -0.5, -1.0, -1.1)]
    ['monotone', 'one step', 'oscillating, shrinking', 'oscillating, constant', 'diverging']
    """
    if not np.isfinite(factor):
        raise ValueError(f"factor must be finite, got {factor}")
    if abs(factor) > 1:
        return "diverging"
    if factor == 0:
        return "one step"
    if 0 < factor < 1:
        return "monotone"
    if -1 < factor < 0:
        return "oscillating, shrinking"
    if factor == -1:
        return "oscillating, constant"
    return "stuck"  # factor == 1: a zero learning rate or a flat direction


def iterate_table(
    runs: Mapping[str, np.ndarray], steps: Sequence[int], name: str = "Run"
) -> str:
    """One row per run: the iterate after each of ``steps`` (0 is the start), 4 decimals.

    ``runs`` maps a label to a 1-D array of iterates such as :func:`lrlab.gd_quadratic`
    returns. A value of 1e6 or more in magnitude is printed in scientific notation so a
    diverging row stays narrow.
    """
    if not runs:
        raise ValueError("iterate_table needs at least one run")
    headers = [name] + [f"Step {s}" for s in steps]
    rows = []
    for label, xs in runs.items():
        xs = np.asarray(xs, dtype=float)
        if xs.ndim != 1:
            raise ValueError(f"run {label!r} must be 1-D, got shape {xs.shape}")
        bad = [s for s in steps if not 0 <= s < len(xs)]
        if bad:
            raise ValueError(f"run {label!r} has no step(s) {bad} (it has {len(xs)} values)")
        rows.append([label] + [_fmt(float(xs[s])) for s in steps])
    align = ["left"] + ["right"] * len(steps)
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True, colalign=align)


def _fmt(value: float) -> str:
    return format_number(value, exponent_from=1e6)


def plot_iterates(
    runs: Mapping[str, np.ndarray],
    ax: Axes | None = None,
    absolute: bool = False,
    title: str = "Gradient descent iterates",
) -> Axes:
    """Iterate x_t against step t, one coloured line with markers per run.

    With ``absolute=True`` it draws |x_t| on a log scale, where a constant factor per step
    is a straight line: falling means converging, rising means diverging. Each run has its
    own colour, marker and line style, so runs that coincide stay visible as such.
    """
    if ax is None:
        _, ax = new_axes()
    styles = styles_for(list(runs))
    for label, xs in runs.items():
        xs = np.asarray(xs, dtype=float)
        ys = np.abs(xs) if absolute else xs
        style = styles[label]
        ax.plot(range(len(xs)), ys, marker=style.marker, linestyle=style.linestyle, markersize=4,
                markerfacecolor="none", color=style.color, label=label)
    epoch_axis(ax, "step t")
    if absolute:
        log_scale(ax)
        ax.set_ylabel("|x_t| (log scale)")
    else:
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.set_ylabel("x_t")
    ax.set_title(title)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return ax


def plot_bowl_paths(
    paths: Mapping[str, np.ndarray],
    curvatures: Sequence[float],
    ax: Axes | None = None,
    title: str = "Gradient descent on an ill-conditioned bowl",
) -> Axes:
    """Contours of f(x) = ½ Σ Lᵢ xᵢ² (2-D) with each run's path of iterates drawn on top.

    ``paths`` maps a label to an array of shape ``(steps + 1, 2)`` as :func:`lrlab.gd_bowl`
    returns. The view is fixed by the starting points, so a path that leaves it diverged.
    """
    if len(curvatures) != 2:
        raise ValueError("plot_bowl_paths draws 2-D bowls only")
    if ax is None:
        _, ax = new_axes()
    starts = np.array([np.asarray(p, dtype=float)[0] for p in paths.values()])
    extent = 1.3 * np.abs(starts).max(axis=0)
    g1, g2 = np.meshgrid(
        np.linspace(-extent[0], extent[0], 201), np.linspace(-extent[1], extent[1], 201)
    )
    f = 0.5 * (curvatures[0] * g1**2 + curvatures[1] * g2**2)
    ax.contour(g1, g2, f, levels=12, colors=OKABE_ITO["sky blue"], linewidths=0.8, alpha=0.6)
    styles = styles_for(list(paths))
    for label, path in paths.items():
        path = np.asarray(path, dtype=float)
        style = styles[label]
        ax.plot(path[:, 0], path[:, 1], marker=style.marker, linestyle=style.linestyle, markersize=3,
                color=style.color, label=label)
    ax.plot([0.0], [0.0], "k*", markersize=10, label="minimum")
    ax.set_xlim(-extent[0], extent[0])
    ax.set_ylim(-extent[1], extent[1])
    ax.set_xlabel(f"x₁ (curvature L₁ = {curvatures[0]:g})")
    ax.set_ylabel(f"x₂ (curvature L₂ = {curvatures[1]:g})")
    ax.set_title(title)
    ax.legend(fontsize="small", loc="lower left")
    return ax
