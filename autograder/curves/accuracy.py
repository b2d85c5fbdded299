"""Print the reference ``diagnose`` accuracy on the stored curve bank (held-out must be ≥ 95 %).

    python -m autograder.curves.accuracy

The reference is the source notebook's own solution cell (executed here, trusted code).
Exit status 1 when the held-out accuracy is below 95 %.
"""
from __future__ import annotations

import sys
from collections import Counter

from autograder.curves import curves, load_bank, reference_namespace

REQUIRED = 0.95


def main() -> int:
    diagnose = reference_namespace()["diagnose"]
    accuracy = {}
    for part in ("practice", "heldout"):
        stored = curves(part)
        wrong = Counter()
        for c in stored:
            got = diagnose(c["train_loss"], c["val_loss"])
            if got != c["label"]:
                wrong[f"{c['label']}→{got}"] += 1
        right = len(stored) - sum(wrong.values())
        accuracy[part] = right / len(stored)
        counts = Counter(c["label"] for c in stored)
        summary = load_bank()["summary"][part]
        print(f"{part:9s} reference accuracy {right}/{len(stored)} = {100 * accuracy[part]:.1f} %"
              f"  (runs kept {summary['kept']}/{summary['built']}; "
              + ", ".join(f"{label} {counts[label]}" for label in load_bank()["labels"]) + ")"
              + (f"  wrong: {dict(wrong)}" if wrong else ""))
    return 0 if accuracy["heldout"] >= REQUIRED else 1


if __name__ == "__main__":
    sys.exit(main())
