"""Regenerate the ps2 curve bank from real ``lrlab`` training runs (deterministic).

    python -m autograder.assignments.ps2_diagnosing_curves.make_bank           # rewrite bank.json and practice_curves.json
    python -m autograder.assignments.ps2_diagnosing_curves.make_bank --check   # regenerate in memory, compare with the files

The protocol (README.md in this folder says it in words):

* a *family* is one training set-up: dataset, model width, optimizer (and momentum), batch
  size, epochs, training-set size and seed;
* each family is trained on a *rate ladder* ``3**k``, ``k = LADDER_START[optimizer], k+1, …``,
  until the second rate whose run diverges (or ``3**LADDER_END``);
* EVERY run of every ladder is in the bank, labelled by :mod:`autograder.assignments.ps2_diagnosing_curves.criterion`
  (which fix works), never by the rules students implement, and never filtered;
* ``PRACTICE`` families are released with the notebook (the rules were tuned on them only);
  ``HELDOUT`` families are whole set-ups absent from the practice set (other datasets, widths,
  optimizers, batch sizes, epoch counts) and stay in ``autograder/`` for the hidden check;
  ``FIGURES`` families (absent from both) give the notebook's five unlabelled figures: the
  first run of each ladder whose primary label is the wanted one and that the reference rules
  label so with every threshold moved 10 % either way.

Runs of a diverged training stop early; their remaining epochs are stored as ``nan``. The
ladders run in ``WORKERS`` processes, each importing ``lrlab`` before torch computes.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from typing import Any

from autograder.assignments.ps2_diagnosing_curves.bank import BANK_PATH, LABELS_ORDER, PRACTICE_PATH, reference_namespace
from autograder.assignments.ps2_diagnosing_curves.criterion import RATE_MARGIN, STOP_MARGIN, RunOutcome, verdict
from autograder.checks.runs import Problem, encode_value

WORKERS = 2
LADDER_START = {"sgd": -5, "sgd_momentum": -7, "adam": -8, "adamw": -8, "rmsprop": -9}
LADDER_END = 4
# The reference rules' float thresholds, moved 10 % down and up to test a figure's robustness.
PERTURBED = ("DIVERGE_RATIO", "DIVERGE_LOSS", "OVERFIT_RISE", "RISE_FRACTION", "STALL_RATIO", "TAIL_SHARE", "MIN_CHANGE")


def ladder_start(family: Problem) -> int:
    """The exponent of the first rate of the family's ladder (by optimizer)."""
    return LADDER_START["sgd_momentum" if family.momentum else family.optimizer]


def setting(family: Problem) -> Problem:
    """What makes two families the same set-up (everything but the seed)."""
    return replace(family, seed=0)


def curve_id(family: Problem, k: int) -> str:
    """The bank's id of the family's run at rate ``3**k``."""
    opt = family.optimizer + (f"-m{family.momentum:g}" if family.momentum else "")
    n = f"-n{family.n_train}" if family.n_train else ""
    h = "x".join(map(str, family.hidden))
    return f"{family.dataset}-{opt}-h{h}-b{family.batch_size}-e{family.epochs}{n}-s{family.seed}-lr3^{k}"


def setup_fields(family: Problem) -> dict[str, Any]:
    """The family's set-up as each bank curve records it (in the bank's key order)."""
    return {"dataset": family.dataset, "optimizer": family.optimizer, "hidden": list(family.hidden),
            "batch_size": family.batch_size, "epochs": family.epochs, "seed": family.seed,
            "momentum": family.momentum, "n_train": family.n_train}


def F(dataset: str, optimizer: str, hidden: tuple[int, ...], batch_size: int, epochs: int, seed: int,
      momentum: float = 0.0, n_train: int | None = None) -> Problem:
    """A family, written in the bank's order (dataset, optimizer, width, batch, epochs, seed)."""
    return Problem(dataset, hidden, optimizer, batch_size, epochs, seed, momentum, n_train)


PRACTICE: tuple[Problem, ...] = (
    F("digits", "sgd", (64,), 64, 20, 0),
    F("digits", "adam", (64,), 64, 20, 1),
    F("digits", "sgd", (32,), 32, 20, 2),
    F("digits", "sgd", (64,), 64, 40, 3),
    F("digits", "rmsprop", (64,), 64, 20, 4),
    F("digits", "sgd", (32,), 64, 30, 5, momentum=0.9),
    F("breast_cancer", "sgd", (64,), 64, 40, 6),
    F("breast_cancer", "adam", (32,), 32, 30, 7),
    F("breast_cancer", "adam", (64,), 64, 20, 8),
    F("breast_cancer", "sgd", (64,), 64, 30, 9, momentum=0.9),
    F("wine", "sgd", (64,), 32, 40, 10),
    F("wine", "adam", (64,), 64, 30, 11),
    F("wine", "rmsprop", (32,), 32, 30, 12),
    F("iris", "sgd", (32,), 32, 60, 13),
    F("iris", "adam", (64,), 32, 40, 14),
    F("iris", "rmsprop", (64,), 32, 40, 15),
    # few training examples, a big model, long training: overfitting at the right rates
    F("digits", "adam", (256,), 64, 60, 16, n_train=60),
    F("digits", "sgd", (256,), 32, 60, 17, n_train=100),
    F("breast_cancer", "adam", (256,), 64, 80, 18, n_train=40),
    F("breast_cancer", "sgd", (256,), 32, 100, 19, n_train=30),
    F("breast_cancer", "rmsprop", (256,), 32, 80, 20, n_train=50),
    F("iris", "sgd", (256,), 32, 80, 21, n_train=30),
)
# Every held-out family is a set-up absent from PRACTICE, and AdamW, the widths 16, 128,
# 128x64, 256x128 and 512, the batch sizes 16, 48 and 128 and the epoch counts 10, 15, 25, 50
# and 70 appear in held-out families only.
HELDOUT: tuple[Problem, ...] = (
    F("digits", "sgd", (128, 64), 128, 25, 100, momentum=0.9),
    F("digits", "rmsprop", (16,), 128, 25, 101),
    F("digits", "adamw", (128,), 48, 15, 102),
    F("digits", "sgd", (16,), 128, 50, 103),
    F("digits", "adam", (128, 64), 128, 10, 104),
    F("digits", "sgd", (128,), 48, 25, 105),
    F("breast_cancer", "sgd", (16,), 16, 25, 106, momentum=0.9),
    F("breast_cancer", "rmsprop", (128,), 48, 25, 107),
    F("breast_cancer", "adamw", (128, 64), 16, 15, 108),
    F("breast_cancer", "sgd", (128,), 128, 70, 109),
    F("breast_cancer", "adam", (128, 64), 128, 50, 110),
    F("wine", "sgd", (128,), 16, 25, 111, momentum=0.9),
    F("wine", "rmsprop", (128, 64), 48, 50, 112),
    F("wine", "adamw", (16,), 16, 25, 113),
    F("wine", "sgd", (128, 64), 16, 50, 114),
    F("wine", "adam", (128,), 48, 15, 115),
    F("iris", "sgd", (16,), 16, 50, 116, momentum=0.9),
    F("iris", "rmsprop", (128,), 16, 25, 117),
    F("iris", "adamw", (128, 64), 48, 70, 118),
    F("iris", "adam", (16,), 16, 50, 119),
    F("digits", "adamw", (256, 128), 48, 70, 120, n_train=80),
    F("digits", "rmsprop", (512,), 128, 50, 121, n_train=60),
    F("digits", "sgd", (256, 128), 16, 50, 122, momentum=0.9, n_train=120),
    F("breast_cancer", "sgd", (256, 128), 16, 50, 123, momentum=0.9, n_train=40),
    F("breast_cancer", "adamw", (512,), 48, 100, 124, n_train=50),
    F("breast_cancer", "rmsprop", (256, 128), 48, 70, 125, n_train=60),
    F("wine", "adam", (256, 128), 16, 70, 126, n_train=25),
    F("iris", "rmsprop", (256, 128), 16, 70, 127, n_train=20),
)
# The notebook's figures: (wanted label, family). Set-ups absent from both parts.
FIGURES: dict[str, tuple[str, Problem]] = {
    "figure_a": ("overfitting", F("digits", "adam", (512,), 32, 50, 200, n_train=90)),
    "figure_b": ("too_slow", F("wine", "sgd", (48,), 24, 30, 201)),
    "figure_c": ("oscillating", F("breast_cancer", "adam", (96,), 24, 30, 222)),  # bounces, as in lecture 6
    "figure_d": ("good", F("breast_cancer", "sgd", (48,), 24, 30, 203, momentum=0.9)),
    "figure_e": ("diverging", F("iris", "sgd", (96,), 24, 30, 204)),
}


# --------------------------------------------------------------------------- training


def train_run(family: Problem, k: int) -> dict[str, Any]:
    """One real run at rate ``3**k``: its stored curves and its outcome for the criterion."""
    import lrlab

    history = lrlab.run(
        3.0**k,
        dataset=family.dataset,
        optimizer=family.optimizer,
        momentum=family.momentum,
        hidden=family.hidden,
        epochs=family.epochs,
        batch_size=family.batch_size,
        n_train=family.n_train,
        seed=family.seed,
        verbose=False,
    )
    pad = [math.nan] * (family.epochs - history.epochs_run)
    diverged = history.diverged
    return {
        "k": k,
        "train_loss": [encode_value(x) for x in history.train_loss + pad],
        "val_loss": [encode_value(x) for x in history.val_loss + pad],
        "outcome": RunOutcome(diverged, math.inf if diverged else history.best_val_loss, history.val_loss[-1]),
    }


def run_ladder(family: Problem) -> list[dict[str, Any]]:
    """Every run of the family's ladder, up to its second diverged run."""
    runs, diverged = [], 0
    for k in range(ladder_start(family), LADDER_END + 1):
        run = train_run(family, k)
        runs.append(run)
        diverged += run["outcome"].diverged
        if diverged == 2:
            break
    return runs


def _init_worker() -> None:
    import lrlab  # noqa: F401  (pins PyTorch's CPU numerics before anything computes)


def run_ladders(families: Iterable[Problem], workers: int = WORKERS) -> list[list[dict[str, Any]]]:
    """The ladders of ``families`` (in order), trained in ``workers`` processes."""
    families = list(families)
    if workers <= 1:
        return [run_ladder(f) for f in families]
    with ProcessPoolExecutor(workers, initializer=_init_worker) as pool:
        return list(pool.map(run_ladder, families))


# --------------------------------------------------------------------------- labelling


def labelled_curves(family: Problem, ladder: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored curves of one ladder, each with the criterion's verdict."""
    outcomes = [run["outcome"] for run in ladder]
    curves = []
    for i, run in enumerate(ladder):
        found = verdict(outcomes, i)
        curves.append({
            "id": curve_id(family, run["k"]),
            **setup_fields(family),
            "lr": 3.0 ** run["k"],
            "label": found.label,
            "labels": list(found.labels),
            "best_val": None if outcomes[i].diverged else encode_value(outcomes[i].best_val),
            "fixes": {label: encode_value(loss) for label, loss in found.fixes.items()},
            "train_loss": run["train_loss"],
            "val_loss": run["val_loss"],
        })
    return curves


def rule_labels(namespace: dict[str, Any], curve: dict[str, Any]) -> list[str]:
    """The reference label of a stored curve with the thresholds as set and each moved ±10 %."""
    train = [float(v) for v in curve["train_loss"]]
    val = [float(v) for v in curve["val_loss"]]
    diagnose = namespace["diagnose"]
    labels = [diagnose(train, val)]
    for name in PERTURBED:
        base = namespace[name]
        for factor in (0.9, 1.1):
            namespace[name] = base * factor
            try:
                labels.append(diagnose(train, val))
            finally:
                namespace[name] = base
    return labels


def pick_figure(name: str, label: str, curves: list[dict[str, Any]], namespace: dict[str, Any]) -> dict[str, Any]:
    """The first run whose primary label is ``label`` and that the rules robustly call so."""
    for curve in curves:
        if curve["label"] == label and set(rule_labels(namespace, curve)) == {label}:
            return {"train_loss": curve["train_loss"], "val_loss": curve["val_loss"]}
    raise RuntimeError(f"{name}: no run of its family is robustly {label}; choose another family")


# --------------------------------------------------------------------------- the bank


def check_disjoint(practice: Iterable[Problem], heldout: Iterable[Problem], figures: Iterable[Problem]) -> None:
    """Raise unless the three groups share no set-up and no seed."""
    groups = [list(practice), list(heldout), list(figures)]
    for i, a in enumerate(groups):
        for b in groups[i + 1:]:
            if {setting(f) for f in a} & {setting(f) for f in b} or {f.seed for f in a} & {f.seed for f in b}:
                raise RuntimeError("practice, held-out and figure families overlap")


def build(workers: int = WORKERS, verbose: bool = True) -> dict[str, Any]:
    """The whole bank as a dict (what bank.json holds)."""
    figure_families = [family for _, family in FIGURES.values()]
    check_disjoint(PRACTICE, HELDOUT, figure_families)
    start = time.perf_counter()
    ladders = run_ladders([*PRACTICE, *HELDOUT, *figure_families], workers)
    if verbose:
        print(f"trained {sum(map(len, ladders))} runs in {time.perf_counter() - start:.0f} s", flush=True)
    curves = [labelled_curves(f, ladder) for f, ladder in zip([*PRACTICE, *HELDOUT, *figure_families], ladders)]
    n_practice, n_heldout = len(PRACTICE), len(HELDOUT)
    namespace = reference_namespace()
    figures = {
        name: pick_figure(name, label, family_curves, namespace)
        for (name, (label, _)), family_curves in zip(FIGURES.items(), curves[n_practice + n_heldout:])
    }
    return {
        "format": 2,
        "labels": list(LABELS_ORDER),
        "criterion": {"rate_margin": round(RATE_MARGIN, 6), "stop_margin": STOP_MARGIN, "ladder_factor": 3},
        "practice": {
            "curves": [c for family_curves in curves[:n_practice] for c in family_curves],
            "figures": figures,
        },
        "heldout": {"curves": [c for family_curves in curves[n_practice:n_practice + n_heldout] for c in family_curves]},
        "figure_key": {name: label for name, (label, _) in FIGURES.items()},
    }


def dumps(data: Any) -> str:
    """Compact, strict JSON with one curve per line (small diffs)."""
    def one(value: Any, indent: str) -> str:
        if isinstance(value, dict) and any(isinstance(v, dict) or (isinstance(v, list) and v and isinstance(v[0], dict))
                                           for v in value.values()):
            inner = ",\n".join(f"{indent} {json.dumps(k)}: {one(v, indent + ' ')}" for k, v in value.items())
            return "{\n" + inner + "\n" + indent + "}"
        if isinstance(value, list) and value and isinstance(value[0], dict):
            inner = ",\n".join(indent + " " + json.dumps(v, separators=(",", ":"), allow_nan=False) for v in value)
            return "[\n" + inner + "\n" + indent + "]"
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    return one(data, "") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare a regeneration with the stored files")
    parser.add_argument("--workers", type=int, default=WORKERS)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    bank = build(args.workers)
    text = dumps(bank)
    practice_text = dumps(bank["practice"])
    for part in ("practice", "heldout"):
        counts = Counter(c["label"] for c in bank[part]["curves"])
        print(f"{part}: {len(bank[part]['curves'])} runs, " + ", ".join(f"{k} {counts[k]}" for k in LABELS_ORDER))
    print(f"regenerated in {time.perf_counter() - start:.0f} s")
    if args.check:
        same = BANK_PATH.read_text() == text and PRACTICE_PATH.read_text() == practice_text
        print("bank is up to date" if same else "bank differs from a regeneration")
        return 0 if same else 1
    BANK_PATH.write_text(text)
    PRACTICE_PATH.write_text(practice_text)
    print(f"wrote {BANK_PATH.name} ({len(text) // 1024} KB) and {PRACTICE_PATH.name} ({len(practice_text) // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
