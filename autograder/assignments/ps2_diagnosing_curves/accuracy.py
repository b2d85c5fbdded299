"""Print the reference rules' true accuracy on the curve bank, per part and per label.

    python -m autograder.assignments.ps2_diagnosing_curves.accuracy

The reference is the source notebook's own ``diagnose`` (executed here, trusted code); the
truth is the bank's criterion (a label is right when its fix works), never the rules. A run
counts as right when the rules' label is one of its right labels; the per-label rows group
the runs by their primary label. Exit status 1 when the held-out accuracy is below
``FULL_MARKS_ACCURACY`` of ``checks.py`` (students implementing the rules exactly must
earn full marks).
"""
from __future__ import annotations

import sys
from collections import Counter
from typing import Any

from autograder.assignments.ps2_diagnosing_curves.bank import LABELS_ORDER, curves, reference_namespace


def accuracy_table(diagnose: Any, stored: list[dict[str, Any]]) -> tuple[float, dict[str, tuple[int, int]], Counter]:
    """(overall accuracy, {primary label: (right, runs)}, confusions "primary→rules")."""
    per: dict[str, list[int]] = {label: [0, 0] for label in LABELS_ORDER}
    confused: Counter = Counter()
    for curve in stored:
        got = diagnose(curve["train_loss"], curve["val_loss"])
        right = got in curve["labels"]
        per[curve["label"]][0] += right
        per[curve["label"]][1] += 1
        if not right:
            confused[f"{curve['label']}→{got}"] += 1
    total = sum(r for r, _ in per.values()) / sum(n for _, n in per.values())
    return total, {label: (r, n) for label, (r, n) in per.items()}, confused


def main() -> int:
    from autograder.assignments.ps2_diagnosing_curves.checks import FULL_MARKS_ACCURACY

    diagnose = reference_namespace()["diagnose"]
    held = 0.0
    print("| part | runs | right | " + " | ".join(LABELS_ORDER) + " |")
    print("|---|---|---|" + "---|" * len(LABELS_ORDER))
    confusions = {}
    for part in ("practice", "heldout"):
        stored = curves(part)
        total, per, confused = accuracy_table(diagnose, stored)
        cells = " | ".join(f"{100 * r / n:.0f} % ({r}/{n})" if n else "—" for r, n in per.values())
        print(f"| {part} | {len(stored)} | {100 * total:.1f} % | {cells} |")
        confusions[part] = confused
        held = total if part == "heldout" else held
    for part, confused in confusions.items():
        print(f"{part} errors (primary label→rules): " + ", ".join(f"{k} {v}" for k, v in confused.most_common()))
    return 0 if held >= FULL_MARKS_ACCURACY else 1


if __name__ == "__main__":
    sys.exit(main())
