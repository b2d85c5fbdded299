"""Calibrate Part 2: honest schedules of several shapes, tuned on the practice seeds, against
the best constant rate, on the held-out seeds.

    python -m autograder.assignments.ps3_tuning.calibrate            # train everything, write calibration.json
    python -m autograder.assignments.ps3_tuning.calibrate --check    # re-train part of it, compare, and
                                                                     # judge the stored table (about 10 runs)

Real training, exactly as the grader trains (``part2.py``: :func:`~part2.final_loss`). For every
schedule of :func:`candidates` — the constant rates of ``part2.GRID``, lecture 4's recipe
(a cosine from 0.4 to 0), and a small grid of each honest shape (step, linear decay,
exponential decay, warm-up + cosine, one-cycle) — the final validation loss on every practice
and held-out seed. Each shape is tuned on the practice seeds only (the grid point with the
lowest practice mean). Printed: the table (each schedule x seed, its practice and held-out
means and its share of Part 2), the Spearman rank correlation of practice and held-out means
over every schedule, and the goals. Exit status 1 when a goal fails:

* the best constant rate (lowest held-out mean) lies inside the grid, on both seed sets;
* every tuned shape earns at least :data:`HONEST_SHARE` of Part 2 on the held-out seeds;
* no constant rate of the grid earns more than :data:`CONSTANT_SHARE`;
* lecture 4's recipe earns less than full marks (it is a start, not the answer);
* practice predicts held-out: Spearman at least :data:`MIN_SPEARMAN`;
* ``part2.BEST_CONSTANT`` (quoted by the notebook) is what was measured.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from scipy.stats import spearmanr
from tabulate import tabulate

from autograder.assignments.ps3_tuning import part2

CALIBRATION_PATH = Path(__file__).resolve().parent / "calibration.json"
HONEST_SHARE = 0.8
CONSTANT_SHARE = 0.2
MIN_SPEARMAN = 0.8
WORKERS = 2
RECIPE = "lecture 4's recipe"
Rates = list[float]


def constant(lr: float, n: int) -> Rates:
    return [lr] * n


def cosine(peak: float, n: int) -> Rates:
    """Half a cosine from ``peak`` down to 0 over the budget (lecture 4's decay)."""
    return [peak * (1 + math.cos(math.pi * k / n)) / 2 for k in range(n)]


def step(peak: float, n: int) -> Rates:
    """``peak``, divided by 10 at half and again at three quarters of the budget."""
    return [peak * 0.1 ** ((k >= n // 2) + (k >= 3 * n // 4)) for k in range(n)]


def linear(peak: float, n: int) -> Rates:
    """A straight line from ``peak`` down to 0 at the end of the budget."""
    return [peak * (1 - k / n) for k in range(n)]


def exponential(peak: float, n: int) -> Rates:
    """``peak`` shrinking by a constant factor per step, to a hundredth of it at the end."""
    return [peak * 0.01 ** (k / n) for k in range(n)]


def warmup_cosine(peak: float, warmup: float, n: int) -> Rates:
    """A linear warm-up from ``peak / W`` over the first ``W = warmup * n`` steps, then a cosine to 0."""
    w = round(warmup * n)
    return [peak * (k + 1) / w if k < w else peak * (1 + math.cos(math.pi * (k - w) / (n - w))) / 2 for k in range(n)]


def one_cycle(peak: float, n: int) -> Rates:
    """``OneCycleLR``'s shape: a cosine from ``peak / 25`` up to ``peak`` over 30 % of the steps,
    then a cosine down to ``peak / 25 / 1e4``."""
    up, low = round(0.3 * n), peak / 25
    end = low / 1e4
    return [low + (peak - low) * (1 - math.cos(math.pi * k / up)) / 2 if k < up
            else end + (peak - end) * (1 + math.cos(math.pi * (k - up) / (n - up))) / 2 for k in range(n)]


#: Each honest shape and its small grid (peak rates; warm-up + cosine also its warm-up share).
SHAPES: dict[str, tuple[Callable[..., Rates], list[tuple[float, ...]]]] = {
    "step": (step, [(p,) for p in (0.4, 0.56, 0.8, 1.1)]),
    "linear": (linear, [(p,) for p in (0.4, 0.56, 0.8, 1.1)]),
    "exponential": (exponential, [(p,) for p in (0.56, 0.8, 1.1, 1.6)]),
    "warm-up + cosine": (warmup_cosine, [(p, w) for p in (0.56, 0.8, 1.1) for w in (0.05, 0.1)]),
    "one-cycle": (one_cycle, [(p,) for p in (0.56, 0.8, 1.1, 1.6)]),
}


def label(shape: str, params: tuple[float, ...]) -> str:
    if shape == "warm-up + cosine":
        return f"{shape} {params[0]:g}, {params[1]:.0%} warm-up"
    return f"{shape} {params[0]:g}"


def candidates() -> dict[str, tuple[str, Rates]]:
    """Every calibration schedule: {label: (shape, rates)} (momentum 0)."""
    n = part2.budget()
    out = {f"constant {lr:g}": ("constant", constant(lr, n)) for lr in part2.GRID}
    out[RECIPE] = ("recipe", cosine(0.4, n))
    for shape, (make, grid) in SHAPES.items():
        for params in grid:
            out[label(shape, params)] = (shape, make(*params, n))
    return out


def _train(job: tuple[str, tuple[float, ...], int]) -> tuple[str, int, float | None]:
    name, rates, seed = job
    return name, seed, part2.final_loss(0.0, rates, seed)


def train_all(plan: dict[str, tuple[Rates, tuple[int, ...]]], workers: int) -> dict[str, dict[int, float | None]]:
    """{label: {seed: final validation loss}} (None: diverged) for ``{label: (rates, seeds)}``."""
    jobs = [(name, tuple(rates), seed) for name, (rates, seeds) in plan.items() for seed in seeds]
    with ProcessPoolExecutor(workers) as pool:
        done = list(pool.map(_train, jobs, chunksize=2))
    table: dict[str, dict[int, float | None]] = {name: {} for name in plan}
    for name, seed, loss in done:
        table[name][seed] = None if loss is None else round(loss, 4)
    return table


def mean(row: dict[int, float | None], seeds: tuple[int, ...]) -> float | None:
    values = [row[s] for s in seeds]
    return None if any(v is None for v in values) else round(statistics.fmean(values), 4)  # type: ignore[arg-type]


def summarise(table: dict[str, dict[int, float | None]], shapes: dict[str, str]) -> dict[str, Any]:
    """Tuning, anchors, shares, correlation and goals from a table of final losses."""
    practice = {name: mean(row, part2.PRACTICE_SEEDS) for name, row in table.items()}
    heldout = {name: mean(row, part2.HELDOUT_SEEDS) for name, row in table.items()}
    constants = [f"constant {lr:g}" for lr in part2.GRID]
    finite = lambda d, names: [n for n in names if d[n] is not None]  # noqa: E731
    best_heldout = min(finite(heldout, constants), key=heldout.__getitem__)
    best_practice = min(finite(practice, constants), key=practice.__getitem__)
    anchor = heldout[best_heldout]
    share = {name: part2.credit(heldout[name], anchor) for name in table}
    tuned = {shape: min(finite(practice, [n for n in table if shapes[n] == shape]), key=practice.__getitem__)
             for shape in SHAPES}
    both = finite(heldout, finite(practice, list(table)))
    rho = float(spearmanr([practice[n] for n in both], [heldout[n] for n in both]).statistic)
    rho_tuned = float(spearmanr([practice[n] for n in tuned.values()], [heldout[n] for n in tuned.values()]).statistic)
    measured = {"rate": float(best_heldout.split()[-1]), "heldout": anchor, "practice": practice[best_heldout]}
    goals = {
        "the best constant rate lies inside the grid (practice and held-out)":
            all(name not in (constants[0], constants[-1]) for name in (best_heldout, best_practice)),
        f"every tuned shape earns >= {HONEST_SHARE:.0%} on the held-out seeds":
            all(share[name] >= HONEST_SHARE for name in tuned.values()),
        f"no constant rate of the grid earns more than {CONSTANT_SHARE:.0%}":
            all(share[name] <= CONSTANT_SHARE for name in constants),
        "lecture 4's recipe earns less than full marks": share[RECIPE] < 1.0,
        f"Spearman(practice, held-out) >= {MIN_SPEARMAN}": rho >= MIN_SPEARMAN,
        "part2.BEST_CONSTANT is what was measured": measured == part2.BEST_CONSTANT,
    }
    return {"practice": practice, "heldout": heldout, "share": share, "tuned": tuned, "spearman": rho,
            "spearman_tuned": rho_tuned, "best_constant": measured, "goals": goals}


def _fmt(value: float | None) -> str:
    return "diverged" if value is None else f"{value:.4f}"


def report(table: dict[str, dict[int, float | None]], summary: dict[str, Any]) -> str:
    tuned = set(summary["tuned"].values())
    seeds = (*part2.PRACTICE_SEEDS, *part2.HELDOUT_SEEDS)
    rows = [[("* " if name in tuned else "") + name, *(_fmt(row[s]) for s in seeds), _fmt(summary["practice"][name]),
             _fmt(summary["heldout"][name]), f"{summary['share'][name]:.0%}"] for name, row in table.items()]
    headers = ["Schedule (* tuned on practice)", *(f"p{s}" for s in part2.PRACTICE_SEEDS),
               *(f"h{s}" for s in part2.HELDOUT_SEEDS), "Practice mean", "Held-out mean", "Part 2"]
    best = summary["best_constant"]
    lines = [
        f"Part 2: {part2.PROBLEM.dataset}, hidden {part2.PROBLEM.hidden}, SGD, batches of {part2.PROBLEM.batch_size}, "
        f"{part2.PROBLEM.epochs} epochs = {part2.budget()} steps; final validation loss per seed "
        f"(p: practice, h: held-out)",
        tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True),
        "",
        f"best constant rate of the grid on the held-out seeds: {best['rate']:g} (mean {best['heldout']:.4f}; "
        f"practice {best['practice']:.4f}); full marks {part2.REQUIRED_IMPROVEMENT:g} below it",
        f"Spearman rank correlation, practice vs held-out means: {summary['spearman']:.3f} over all "
        f"{len(table)} schedules, {summary['spearman_tuned']:.3f} over the {len(summary['tuned'])} tuned shapes",
        "",
    ]
    lines += [f"{'ok  ' if ok else 'FAIL'} {goal}" for goal, ok in summary["goals"].items()]
    if best != part2.BEST_CONSTANT:
        lines.append(f"part2.BEST_CONSTANT should be {best}")
    return "\n".join(lines)


def recheck(table: dict[str, dict[int, float | None]], schedules: dict[str, tuple[str, Rates]],
            summary: dict[str, Any], workers: int) -> list[str]:
    """Re-train part of the stored table (the best constant rate on every held-out seed, every
    other constant and every tuned shape on the first held-out seed); the labels that differ."""
    anchor = f"constant {summary['best_constant']['rate']:g}"
    others = [f"constant {lr:g}" for lr in part2.GRID if f"constant {lr:g}" != anchor] + list(summary["tuned"].values())
    plan = {anchor: (schedules[anchor][1], part2.HELDOUT_SEEDS)}
    plan |= {name: (schedules[name][1], part2.HELDOUT_SEEDS[:1]) for name in others}
    fresh = train_all(plan, workers)
    return [name for name, row in fresh.items() if any(row[seed] != table[name][seed] for seed in row)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="re-train the anchor on every held-out seed and the grid and tuned schedules on one, "
                             "compare with calibration.json, and judge the stored table")
    parser.add_argument("--workers", type=int, default=WORKERS)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    schedules = candidates()
    shapes = {name: shape for name, (shape, _) in schedules.items()}
    if args.check:
        stored = json.loads(CALIBRATION_PATH.read_text())
        table = {name: {int(s): v for s, v in row.items()} for name, row in stored.items()}
        if set(table) != set(schedules):
            print("calibration.json holds other schedules than candidates(): run without --check")
            return 1
        summary = summarise(table, shapes)
        stale = recheck(table, schedules, summary, args.workers)
        print(report(table, summary))
        print(f"re-trained the anchor on every held-out seed, the grid and the tuned shapes on seed "
              f"{part2.HELDOUT_SEEDS[0]}, in {time.perf_counter() - start:.0f} s: "
              + (f"DIFFER from calibration.json: {stale}" if stale else "as stored"))
        return 0 if all(summary["goals"].values()) and not stale else 1
    seeds = (*part2.PRACTICE_SEEDS, *part2.HELDOUT_SEEDS)
    table = train_all({name: (rates, seeds) for name, (_, rates) in schedules.items()}, args.workers)
    CALIBRATION_PATH.write_text(json.dumps(table, indent=1) + "\n")
    summary = summarise(table, shapes)
    print(report(table, summary))
    print(f"{len(table)} schedules x {len(part2.PRACTICE_SEEDS) + len(part2.HELDOUT_SEEDS)} seeds in "
          f"{time.perf_counter() - start:.0f} s")
    return 0 if all(summary["goals"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
