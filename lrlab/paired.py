"""Paired comparisons: a strategy against the best constant rate of a grid, seed by seed.

Two runs with the same seed share the initial weights, the batch order and the split, so their
difference on that seed is not blurred by what the seed does to both; the spread of that
difference over seeds is the noise a claim has to beat. The constant rate gets every
advantage: on each seed, and for each measure separately, it is represented by the best rate
of its grid *for that seed*, picked after the fact.

"The strategy beats the best constant" is claimed only when :meth:`Paired.holds`: it is lower
on every seed, and the mean difference is at least :data:`MARGIN_SDS` standard deviations of
the per-seed differences.
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from tabulate import tabulate

from lrlab.plots import OKABE_ITO, new_axes
from lrlab.report import format_number
from lrlab.train import History

#: How many standard deviations of the per-seed differences the mean difference must reach.
MARGIN_SDS = 3.0


def final_val(h: History) -> float:
    """Validation loss after the last epoch; infinite for a run that diverged."""
    return math.inf if h.diverged or not h.val_loss else h.val_loss[-1]


def best_val(h: History) -> float:
    """Lowest validation loss over the epochs; infinite for a run that diverged."""
    best = h.best_val_loss
    return best if math.isfinite(best) else math.inf


#: The measures a paired comparison is made on, by the name the tables print.
MEASURES: dict[str, Callable[[History], float]] = {
    "final validation loss": final_val,
    "best-epoch validation loss": best_val,
}


@dataclass(frozen=True)
class Pair:
    """One seed: the strategy's value and the best constant rate's value of one measure."""

    seed: int
    strategy: float
    best_constant: float
    best_rate: float

    @property
    def difference(self) -> float:
        """Best constant minus strategy: positive when the strategy is lower (better)."""
        return self.best_constant - self.strategy


@dataclass(frozen=True)
class Paired:
    """A paired comparison on one measure over several seeds (build it with :func:`paired`)."""

    measure: str
    grid: tuple[float, ...]
    pairs: tuple[Pair, ...]

    @property
    def differences(self) -> list[float]:
        return [p.difference for p in self.pairs]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.differences)

    @property
    def sd(self) -> float:
        """Sample standard deviation of the per-seed differences (``n - 1`` in the denominator)."""
        return statistics.stdev(self.differences)

    @property
    def smallest(self) -> float:
        return min(self.differences)

    @property
    def sds(self) -> float:
        """The mean difference in standard deviations of the differences."""
        return self.mean / self.sd if self.sd > 0 else math.inf

    @property
    def rates_at_grid_edge(self) -> list[int]:
        """Seeds whose best constant rate is an end of the grid: there a wider grid might do
        better, so the comparison would flatter the strategy."""
        return [p.seed for p in self.pairs if p.best_rate in (min(self.grid), max(self.grid))]

    def verdict(self, margin_sds: float = MARGIN_SDS) -> str:
        """``"lower"`` when the strategy beats the constant by the rule of :meth:`holds`,
        ``"higher"`` when the constant beats the strategy by the same rule, else
        ``"within noise"``."""
        if self.holds(margin_sds):
            return "lower"
        flipped = Paired(self.measure, self.grid, tuple(Pair(p.seed, p.best_constant, p.strategy, p.best_rate)
                                                          for p in self.pairs))
        return "higher" if flipped.holds(margin_sds) else "within noise"

    def holds(self, margin_sds: float = MARGIN_SDS) -> bool:
        """True when the strategy is lower on every seed and the mean difference is at least
        ``margin_sds`` standard deviations of the differences (and every value is finite)."""
        finite = all(math.isfinite(v) for p in self.pairs for v in (p.strategy, p.best_constant))
        return finite and len(self.pairs) >= 2 and self.smallest > 0 and self.mean >= margin_sds * self.sd


def paired(
    strategy: Sequence[History],
    constants: Mapping[float, Sequence[History]],
    seeds: Sequence[int],
    measure: str = "final validation loss",
) -> Paired:
    """Compare ``strategy`` (one run per seed) with the per-seed best of ``constants`` (for each
    rate of the grid, one run per seed, in the same seed order) on ``measure``, one of
    :data:`MEASURES`. A constant run that diverged cannot be the best one."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; choose one of {', '.join(MEASURES)}")
    if len(seeds) < 2:
        raise ValueError("a paired comparison needs at least two seeds")
    if not constants or any(len(runs) != len(seeds) for runs in [strategy, *constants.values()]):
        raise ValueError("need one run per seed for the strategy and for every rate of the grid")
    value = MEASURES[measure]
    pairs = []
    for i, seed in enumerate(seeds):
        rate = min(constants, key=lambda lr: value(constants[lr][i]))
        pairs.append(Pair(seed, value(strategy[i]), value(constants[rate][i]), rate))
    return Paired(measure, tuple(sorted(constants)), tuple(pairs))


def paired_table(result: Paired, strategy: str = "strategy") -> str:
    """One row per seed: the best constant rate, its value, the strategy's value and the
    difference (positive: the strategy is lower), at 4 decimals."""
    rows = [[str(p.seed), f"{p.best_rate:g}", format_number(p.best_constant), format_number(p.strategy),
             format_number(p.difference)] for p in result.pairs]
    headers = ["Seed", "Best constant rate", f"Best constant, {result.measure}", f"{strategy}, {result.measure}",
               "Difference"]
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True,
                    colalign=["right"] * len(headers))


def paired_summary(result: Paired, margin_sds: float = MARGIN_SDS) -> str:
    """The statistic in one line: mean, standard deviation and smallest per-seed difference,
    and whether the claim holds."""
    verdict = ("holds: lower on every seed, by a mean of at least "
               f"{margin_sds:g} standard deviations" if result.holds(margin_sds)
               else "does NOT hold (within noise)")
    return (f"{result.measure}: mean difference {format_number(result.mean)}, standard deviation "
            f"{format_number(result.sd)} (mean = {result.sds:.1f} sd), smallest {format_number(result.smallest)} "
            f"over {len(result.pairs)} seeds — the claim {verdict}")


def plot_paired(result: Paired, strategy: str = "strategy", ax: Axes | None = None) -> Axes:
    """Per seed, the best constant rate's value (circle, labelled with its rate) and the
    strategy's (square), joined by a line: the paired difference, seed by seed."""
    if ax is None:
        _, ax = new_axes()
    xs = range(len(result.pairs))
    for x, p in zip(xs, result.pairs):
        ax.plot([x, x], [p.strategy, p.best_constant], color="black", linewidth=1, zorder=1)
        ax.annotate(f"{p.best_rate:g}", (x, p.best_constant), xytext=(6, 0), textcoords="offset points",
                    va="center", fontsize="small")
    ax.plot(xs, [p.best_constant for p in result.pairs], "o", color=OKABE_ITO["vermillion"], markersize=7,
            label="best constant rate of the grid (rate written beside it)", linestyle="none")
    ax.plot(xs, [p.strategy for p in result.pairs], "s", color=OKABE_ITO["blue"], markersize=7, label=strategy,
            linestyle="none")
    ax.set_xticks(list(xs), [str(p.seed) for p in result.pairs])
    ax.set_xlim(-0.6, len(result.pairs) - 0.4)
    ax.set_xlabel("seed (same initial weights and batch order for both)")
    ax.set_ylabel(result.measure)
    ax.set_title(f"{result.measure.capitalize()}, seed by seed")
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    ax.grid(alpha=0.3, axis="y")
    return ax
