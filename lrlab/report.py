"""Loss tables in the course's format: ``Epoch | Training Loss | Validation Loss``."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from tabulate import tabulate

from lrlab.train import History, is_diverged_loss

FLOAT_FORMAT = ".4f"


def _epochs(history: History, epochs: Sequence[int] | None) -> list[int]:
    if epochs is None:
        return list(range(1, history.epochs_run + 1))
    bad = [e for e in epochs if e < 1]
    if bad:
        raise ValueError(f"epochs count from 1, got {bad}")
    return list(epochs)


def format_number(value: float, exponent_from: float = math.inf) -> str:
    """A number at the course's fixed precision (4 decimals); finite values of magnitude
    ``exponent_from`` or more in exponent form, which keeps a long row narrow."""
    if math.isfinite(value) and abs(value) >= exponent_from:
        return format(value, ".4e")
    return format(value + 0.0, FLOAT_FORMAT)  # + 0.0 turns -0.0 into 0.0


def format_loss(value: float) -> str:
    """A loss at 4 decimals, or how it diverged.

    A non-finite loss reads ``diverged``. A loss above :data:`~lrlab.train.DIVERGENCE_LOSS`
    (100, the problem sets' line) reads like ``↑ 3.2e+07``: only its order of magnitude,
    because the further digits of a diverging run are decided by rounding, not by the rate.
    """
    if not math.isfinite(value):
        return "diverged"
    if is_diverged_loss(value):
        return f"↑ {value:.1e}"
    return format_number(value)


def _fmt(value: float | int | str) -> str:
    """Floats via :func:`format_number`; counts and text unchanged."""
    return format_number(value) if isinstance(value, float) else str(value)


def loss_at(values: Sequence[float], epoch: int) -> str:
    """The formatted loss of (1-based) ``epoch`` (see :func:`format_loss`), or ``stopped``
    past the end of a run."""
    return format_loss(values[epoch - 1]) if epoch <= len(values) else "stopped"


def value_at(values: Sequence[float], epoch: int) -> str:
    """The formatted value of (1-based) ``epoch`` at 4 decimals, or ``stopped`` past the end."""
    return format_number(values[epoch - 1]) if epoch <= len(values) else "stopped"


def _render(rows: list[list[str]], headers: list[str], names_first: bool = False) -> str:
    """A GitHub-style table; every cell is pre-formatted, numbers right-aligned."""
    align = ["right"] * len(headers)
    if names_first:
        align[0] = "left"
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True, colalign=align)


def loss_table(history: History, epochs: Sequence[int] | None = None, accuracy: bool = False) -> str:
    """The per-epoch table of one run, at 4 decimals (``epochs`` picks rows, 1-based).

    A diverging loss reads as diverging (see :func:`format_loss`); epochs after a run
    stopped on a non-finite loss read ``stopped``. ``accuracy=True`` adds the validation
    accuracy of each epoch.
    """
    rows = []
    for e in _epochs(history, epochs):
        row = [str(e), loss_at(history.train_loss, e), loss_at(history.val_loss, e)]
        if accuracy:
            row.append(value_at(history.val_acc, e))
        rows.append(row)
    headers = ["Epoch", "Training Loss", "Validation Loss"] + (["Validation Accuracy"] if accuracy else [])
    return _render(rows, headers)


def compare_table(histories: Mapping[str, History], epochs: Sequence[int] | None = None) -> str:
    """Several runs side by side: one row per epoch, training and validation loss per run."""
    if not histories:
        raise ValueError("compare_table needs at least one run")
    longest = max(histories.values(), key=lambda h: h.epochs_planned or h.epochs_run)
    wanted = epochs if epochs is not None else range(1, max(longest.epochs_planned, longest.epochs_run) + 1)
    headers = ["Epoch"]
    for name in histories:
        headers += [f"{name} Training Loss", f"{name} Validation Loss"]
    rows = []
    for e in _epochs(longest, list(wanted)):
        row = [str(e)]
        for h in histories.values():
            row += [loss_at(h.train_loss, e), loss_at(h.val_loss, e)]
        rows.append(row)
    return _render(rows, headers)


def summary_table(histories: Mapping[str, History], name: str = "Run") -> str:
    """One row per run: final losses, best validation loss, final validation accuracy.

    A run that diverged has no best validation loss worth reporting: it reads ``—``.
    """
    rows = []
    for label, h in histories.items():
        rows.append(
            [
                label,
                str(h.epochs_run),
                loss_at(h.train_loss, h.epochs_run) if h.train_loss else "—",
                loss_at(h.val_loss, h.epochs_run) if h.val_loss else "—",
                "—" if h.diverged else _fmt(h.best_val_loss),
                _fmt(h.final_val_acc),
                f"yes (epoch {h.diverged_epoch})" if h.diverged_epoch else ("yes" if h.diverged else "no"),
            ]
        )
    headers = [
        name,
        "Epochs",
        "Final Training Loss",
        "Final Validation Loss",
        "Best Validation Loss",
        "Validation Accuracy",
        "Diverged",
    ]
    return _render(rows, headers, names_first=True)
