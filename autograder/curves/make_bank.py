"""Regenerate the ps2 curve bank from real ``lrlab`` training runs (deterministic, ~2 min).

    python -m autograder.curves.make_bank           # rewrite bank.json and practice_curves.json
    python -m autograder.curves.make_bank --check   # regenerate in memory, compare with the files

Every curve is labelled BY CONSTRUCTION, by the set-up that produced it (a huge rate diverges, a
high one oscillates, a tiny one or too few epochs is too slow, a big model trained long on a few
examples overfits, a well-chosen rate on enough data is good). It is then checked against the
reference rules — the ``diagnose`` of the source notebook's solution cell, not a copy of it — and
kept only when the rules give the same label, also with every float threshold moved 10 % either
way (no borderline curves). Curves are never relabelled; the agreement rate is reported.

Parts: ``practice`` (seeds 0 and 1, plus five unlabelled figures with seed 7) is released with
the notebook; ``heldout`` (seeds 11–13) stays in ``autograder/`` for the hidden checks. Runs of a
diverged training stop early; their remaining epochs are recorded as ``nan``.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from autograder.curves import BANK_PATH, LABELS_ORDER, PRACTICE_PATH, encode_value, reference_namespace

PRACTICE_SEEDS = (0, 1)
FIGURE_SEED = 7
HELDOUT_SEEDS = (11, 12, 13)
# Thresholds moved 10 % down and up must not change a kept curve's label.
PERTURBED = ("DIVERGE_RATIO", "RISE_FRACTION", "STALL_RATIO", "TAIL_DROP", "OVERFIT_RISE")


@dataclass(frozen=True)
class Setting:
    """One training set-up and the label it produces by construction."""

    label: str
    dataset: str
    optimizer: str
    lr: float
    epochs: int
    hidden: tuple[int, ...] = (64,)
    momentum: float = 0.0
    n_train: int | None = None

    def curve_id(self, seed: int) -> str:
        opt = self.optimizer + (f"m{self.momentum:g}" if self.momentum else "")
        n = f"-n{self.n_train}" if self.n_train else ""
        h = "x".join(map(str, self.hidden))
        return f"{self.dataset}-{opt}-lr{self.lr:g}-e{self.epochs}-h{h}{n}-s{seed}"


S = Setting
SETTINGS: tuple[Setting, ...] = (
    # huge rate -> the loss blows up (nan/inf, or ends far above where it started)
    S("diverging", "digits", "sgd", 5.0, 20),
    S("diverging", "digits", "sgd", 30.0, 10, (32,)),
    S("diverging", "digits", "sgd", 2.5, 15),
    S("diverging", "digits", "sgd", 3.0, 20, (128, 64), momentum=0.9),
    S("diverging", "breast_cancer", "sgd", 10.0, 30),
    S("diverging", "breast_cancer", "sgd", 30.0, 20, (32,)),
    S("diverging", "wine", "sgd", 10.0, 30),
    S("diverging", "wine", "sgd", 30.0, 60, (128, 64)),
    S("diverging", "iris", "sgd", 30.0, 30),
    S("diverging", "iris", "sgd", 100.0, 40, (32,)),
    # high rate -> the loss bounces
    S("oscillating", "digits", "adam", 0.05, 15),
    S("oscillating", "digits", "adam", 0.1, 20, (32,)),
    S("oscillating", "digits", "adam", 0.3, 20, (128, 64)),
    S("oscillating", "breast_cancer", "adam", 0.1, 30),
    S("oscillating", "breast_cancer", "adam", 0.3, 40, (32,)),
    S("oscillating", "breast_cancer", "sgd", 3.0, 30),
    S("oscillating", "wine", "adam", 0.3, 30),
    S("oscillating", "wine", "adam", 1.0, 40, (128, 64)),
    S("oscillating", "iris", "sgd", 5.0, 40),
    S("oscillating", "iris", "sgd", 10.0, 30, (32,)),
    # tiny rate, or far too few epochs -> still far from converged
    S("too_slow", "digits", "sgd", 0.001, 10),
    S("too_slow", "digits", "sgd", 0.003, 20, (32,)),
    S("too_slow", "digits", "sgd", 0.03, 10),
    S("too_slow", "digits", "adam", 1e-4, 20, (128, 64)),
    S("too_slow", "digits", "adam", 3e-4, 10),
    S("too_slow", "breast_cancer", "sgd", 0.001, 30),
    S("too_slow", "breast_cancer", "sgd", 0.01, 20, (32,)),
    S("too_slow", "breast_cancer", "adam", 1e-4, 40),
    S("too_slow", "wine", "sgd", 0.001, 40),
    S("too_slow", "wine", "sgd", 0.01, 30, (128, 64)),
    S("too_slow", "wine", "adam", 3e-4, 60),
    S("too_slow", "iris", "sgd", 0.01, 40),
    S("too_slow", "iris", "adam", 1e-3, 60, (32,)),
    # few training examples + big model + long training -> validation turns up
    S("overfitting", "digits", "adam", 0.01, 60, (256,), n_train=60),
    S("overfitting", "digits", "adam", 0.01, 80, (256, 128), n_train=80),
    S("overfitting", "digits", "adam", 0.003, 80, (256, 128), n_train=100),
    S("overfitting", "digits", "adam", 0.01, 100, (512,), n_train=60),
    S("overfitting", "breast_cancer", "adam", 0.01, 150, (256,), n_train=60),
    S("overfitting", "breast_cancer", "adam", 0.03, 100, (256,), n_train=40),
    S("overfitting", "wine", "adam", 0.03, 150, (256,), n_train=30),
    S("overfitting", "iris", "adam", 0.03, 200, (256,), n_train=20),
    # a well-chosen rate and enough data
    S("good", "digits", "sgd", 0.3, 20),
    S("good", "digits", "sgd", 1.0, 20, (32,)),
    S("good", "digits", "sgd", 0.03, 20, momentum=0.9),
    S("good", "digits", "adam", 1e-3, 40),
    S("good", "digits", "adam", 3e-3, 20, (128, 64)),
    S("good", "breast_cancer", "sgd", 0.1, 40),
    S("good", "breast_cancer", "sgd", 0.3, 30, (32,)),
    S("good", "breast_cancer", "sgd", 0.03, 40, momentum=0.9),
    S("good", "breast_cancer", "adam", 3e-3, 30),
    S("good", "wine", "sgd", 0.3, 40),
    S("good", "wine", "adam", 0.01, 40),
    S("good", "iris", "sgd", 1.0, 60),
    S("good", "iris", "sgd", 2.0, 40, (32,)),
)
# The notebook's five figures (Part 3): practice-side runs with their own seed, shown unlabelled.
FIGURES: dict[str, Setting] = {
    "figure_a": S("overfitting", "digits", "adam", 0.01, 60, (256,), n_train=60),
    "figure_b": S("too_slow", "digits", "sgd", 0.03, 20),
    "figure_c": S("oscillating", "digits", "adam", 0.05, 15),  # lecture 6's self-check
    "figure_d": S("good", "breast_cancer", "sgd", 0.1, 40),
    "figure_e": S("diverging", "digits", "sgd", 2.5, 15),
}


def train_curve(setting: Setting, seed: int) -> dict[str, Any]:
    """One real run; losses padded with nan after a divergence, then encoded for storage."""
    import lrlab

    history = lrlab.run(
        setting.lr,
        dataset=setting.dataset,
        optimizer=setting.optimizer,
        momentum=setting.momentum,
        hidden=setting.hidden,
        epochs=setting.epochs,
        n_train=setting.n_train,
        seed=seed,
        verbose=False,
    )
    pad = [math.nan] * (setting.epochs - history.epochs_run)
    meta = asdict(setting)
    meta["hidden"] = list(setting.hidden)
    return {
        "id": setting.curve_id(seed),
        **meta,
        "seed": seed,
        "train_loss": [encode_value(x) for x in history.train_loss + pad],
        "val_loss": [encode_value(x) for x in history.val_loss + pad],
    }


def rule_labels(namespace: dict[str, Any], curve: dict[str, Any]) -> list[str]:
    """The reference label of a stored curve with the given thresholds and each one moved ±10 %."""
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


def values_key(curve: dict[str, Any]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """What a student sees of a curve (two runs that blow up at once can store identical values)."""
    return tuple(curve["train_loss"]), tuple(curve["val_loss"])


def generate(
    settings: Iterable[Setting],
    seeds: Iterable[int],
    namespace: dict[str, Any] | None = None,
    seen: set[tuple[tuple[Any, ...], tuple[Any, ...]]] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(kept, dropped) curves of every setting × seed; kept ones agree with the rules robustly.

    A curve whose values are already in ``seen`` (e.g. all ``nan`` after an instant blow-up)
    is dropped as a duplicate so the parts stay disjoint; kept curves are added to ``seen``.
    """
    namespace = namespace if namespace is not None else reference_namespace()
    seen = seen if seen is not None else set()
    kept, dropped = [], []
    for setting in settings:
        for seed in seeds:
            curve = train_curve(setting, seed)
            labels = rule_labels(namespace, curve)
            if values_key(curve) in seen:
                dropped.append({"id": curve["id"], "label": setting.label, "rules": ["duplicate"]})
            elif all(label == setting.label for label in labels):
                kept.append(curve)
                seen.add(values_key(curve))
            else:
                dropped.append({"id": curve["id"], "label": setting.label, "rules": sorted(set(labels))})
    return kept, dropped


def build(verbose: bool = True) -> dict[str, Any]:
    """The whole bank as a dict (what bank.json holds)."""
    namespace = reference_namespace()
    bank: dict[str, Any] = {"format": 1, "labels": list(LABELS_ORDER)}
    summary: dict[str, Any] = {}
    seen: set[tuple[tuple[Any, ...], tuple[Any, ...]]] = set()
    for part, seeds in (("practice", PRACTICE_SEEDS), ("heldout", HELDOUT_SEEDS)):
        start = time.perf_counter()
        kept, dropped = generate(SETTINGS, seeds, namespace, seen)
        total = len(kept) + len(dropped)
        per_label = {
            label: {
                "kept": sum(c["label"] == label for c in kept),
                "built": sum(s.label == label for s in SETTINGS) * len(seeds),
            }
            for label in LABELS_ORDER
        }
        summary[part] = {"built": total, "kept": len(kept), "agreement": round(len(kept) / total, 4),
                         "per_label": per_label, "dropped": dropped}
        bank[part] = {"curves": kept}
        if verbose:
            print(f"{part}: {len(kept)}/{total} runs agree with the rules "
                  f"({100 * len(kept) / total:.1f} %) in {time.perf_counter() - start:.0f} s", flush=True)
    figures = {}
    for name, setting in FIGURES.items():
        curve = train_curve(setting, FIGURE_SEED)
        labels = rule_labels(namespace, curve)
        if set(labels) != {setting.label}:
            raise RuntimeError(f"{name} ({curve['id']}) is not robustly {setting.label}: {sorted(set(labels))}")
        figures[name] = {k: v for k, v in curve.items() if k not in ("label", "lr", "id")}
    bank["practice"]["figures"] = figures
    bank["figure_key"] = {name: s.label for name, s in FIGURES.items()}
    bank["summary"] = summary
    check_disjoint(bank)
    return bank


def check_disjoint(bank: dict[str, Any]) -> None:
    """Raise if a run (setting + seed) appears in both parts."""
    practice = {c["id"] for c in bank["practice"]["curves"]}
    practice |= {f"fig-{c['seed']}" for c in bank["practice"]["figures"].values()}
    heldout = {c["id"] for c in bank["heldout"]["curves"]}
    seeds_practice = {c["seed"] for c in bank["practice"]["curves"]} | {FIGURE_SEED}
    seeds_heldout = {c["seed"] for c in bank["heldout"]["curves"]}
    if practice & heldout or seeds_practice & seeds_heldout:
        raise RuntimeError("practice and held-out parts overlap")


def dumps(data: Any) -> str:
    """Compact, strict JSON with one curve per line (small diffs, a few hundred KB)."""
    def one(value: Any, indent: str) -> str:
        if isinstance(value, dict) and any(isinstance(v, list | dict) and v and isinstance(v, dict) or
                                           (isinstance(v, list) and v and isinstance(v[0], dict))
                                           for v in value.values()):
            inner = ",\n".join(f"{indent} {json.dumps(k)}: {one(v, indent + ' ')}" for k, v in value.items())
            return "{\n" + inner + "\n" + indent + "}"
        if isinstance(value, list) and value and isinstance(value[0], dict):
            inner = ",\n".join(indent + " " + json.dumps(v, separators=(",", ":"), allow_nan=False) for v in value)
            return "[\n" + inner + "\n" + indent + "]"
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    return one(data, "") + "\n"


def accuracy(namespace: dict[str, Any], curves: list[dict[str, Any]]) -> tuple[int, int]:
    """(right, total) of the namespace's ``diagnose`` on stored curves."""
    right = sum(
        namespace["diagnose"]([float(v) for v in c["train_loss"]], [float(v) for v in c["val_loss"]]) == c["label"]
        for c in curves
    )
    return right, len(curves)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare a regeneration with the stored files")
    args = parser.parse_args(argv)
    bank = build()
    text = dumps(bank)
    practice_text = dumps(bank["practice"])
    namespace = reference_namespace()
    for part in ("practice", "heldout"):
        right, total = accuracy(namespace, bank[part]["curves"])
        counts = Counter(c["label"] for c in bank[part]["curves"])
        print(f"reference diagnose on {part}: {right}/{total} = {100 * right / total:.1f} %  "
              + ", ".join(f"{k} {counts[k]}" for k in LABELS_ORDER))
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
