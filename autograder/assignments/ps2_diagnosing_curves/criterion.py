"""The labelling criterion of the curve bank: a label is right when its fix works.

It never looks at the shape of a curve (so it is independent of the rules students write):
it repeats the run with the fix a label prescribes, everything else identical (data, split,
model, optimizer, batch size, epochs, seed), and asks whether the fix helps by a stated margin.
The fixes are ``next_lr``'s (and the taxonomy's) for each label, on a ladder of learning rates
three times apart:

* ``diverging`` — the run blew up (``lrlab``'s ``History.diverged``: a training or validation
  loss above 100 or not finite, even if the run came back down later, as in the rules' rule 1);
  or it did not, but dividing the rate by 9 (the ladder's ≈ ÷10) lowers the best validation
  loss by ``RATE_MARGIN`` more than dividing it by 3;
* ``oscillating`` — dividing the rate by 3 lowers the best validation loss by ``RATE_MARGIN``;
* ``too_slow`` — next_lr's fix, ×3, repeated while it helps (climb the ladder as long as each
  step lowers the best validation loss) ends at a best validation loss ``RATE_MARGIN`` lower;
* ``overfitting`` — stopping at the epoch of the best validation loss gives a validation loss
  ``STOP_MARGIN`` lower than the final one;
* ``good`` — no fix above helps by its margin.

"Lowers by a margin" always also means by at least ``MIN_GAIN`` (in nats): on the small
validation sets of wine and iris a relative gain between two tiny losses is noise.

A run that diverged has the single right label ``diverging``. Otherwise every label whose fix
works is right (a run at too high a rate that also overfits is cured by either fix); ``good``
is right only when no fix works. The *primary* label is the right label whose fix ends at the
lowest validation loss (ties in the order of ``LABELS``). A diverged run has no best
validation loss (it counts as infinite).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from autograder.assignments.ps2_diagnosing_curves.bank import LABELS_ORDER as LABELS

RATE_MARGIN = 1 / 3  # a rate fix must lower the best validation loss by at least a third
STOP_MARGIN = 1 / 4  # early stopping must beat the final validation loss by at least a quarter
MIN_GAIN = 0.02  # ... and every fix by at least this much (nats): below it a gain is noise


@dataclass(frozen=True)
class RunOutcome:
    """What one run of a rate ladder achieved (full precision, from ``lrlab.History``)."""

    diverged: bool
    best_val: float  # math.inf when the run diverged
    final_val: float


@dataclass(frozen=True)
class Verdict:
    """The criterion's answer for one run: its primary label, every right label, and the
    validation loss each working fix reached (what the README's table quotes)."""

    label: str
    labels: tuple[str, ...]
    fixes: dict[str, float]


def _helps(fixed: float, current: float, margin: float) -> bool:
    return math.isfinite(fixed) and fixed <= (1 - margin) * current and current - fixed >= MIN_GAIN


def _climb(best: Sequence[float], i: int) -> float:
    """The best validation loss where ×3 steps up the ladder from run ``i`` stop helping.

    Someone following next_lr multiplies the rate by 3 again only while the last step lowered
    the best validation loss; a far higher rate that does well beyond a step that did not help
    is not what "too slow" prescribes.
    """
    j = i
    while j + 1 < len(best) and best[j + 1] < best[j]:
        j += 1
    return best[j]


def verdict(ladder: Sequence[RunOutcome], i: int) -> Verdict:
    """The verdict for run ``i`` of ``ladder`` (rates ascending, each 3 × the one before).

    Fixes that need a rate the ladder lacks (below its first rate) count as not working.
    """
    run = ladder[i]
    if run.diverged:
        return Verdict("diverging", ("diverging",), {})
    best = [r.best_val for r in ladder]
    fixes: dict[str, float] = {}
    if i >= 2 and _helps(best[i - 2], min(best[i], best[i - 1]), RATE_MARGIN):
        fixes["diverging"] = best[i - 2]
    if i >= 1 and _helps(best[i - 1], best[i], RATE_MARGIN):
        fixes["oscillating"] = best[i - 1]
    faster = _climb(best, i)
    if _helps(faster, best[i], RATE_MARGIN):
        fixes["too_slow"] = faster
    if _helps(run.best_val, run.final_val, STOP_MARGIN):
        fixes["overfitting"] = run.best_val
    if not fixes:
        return Verdict("good", ("good",), {})
    labels = tuple(label for label in LABELS if label in fixes)
    primary = min(labels, key=lambda label: (fixes[label], LABELS.index(label)))
    return Verdict(primary, labels, fixes)
