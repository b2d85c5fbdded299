"""Does a decaying schedule beat the best constant rate on the noisy testbed, seed by seed?

    python benchmarks/decay_vs_constant.py                    # the lectures' seeds 0-4
    python benchmarks/decay_vs_constant.py --seeds 10-19      # seeds the lectures never used
    python benchmarks/decay_vs_constant.py --seeds 3,7,42 --grid 0.042,0.05,0.059,0.071,0.084,0.1,0.119,0.141,0.168,0.2,0.238

Trains, on every seed, each constant rate of the grid and the cosine decay from the peak rate
(``lrlab.testbed``: the same runs lecture 4 prints), pairs them by seed (same initial weights,
same batch order), and prints for the final and the best-epoch validation loss: per seed, the
best constant rate of the grid *for that seed* and its value, the decay's value and the
difference; then the statistic. The claim holds when the decay is lower on every seed and the
mean difference is at least 3 standard deviations of the per-seed differences
(``lrlab.paired``). Exit status 0 when it holds for both measures, 1 when not.

Also prints the wall-clock and CPU seconds per training run (one thread; the first run of each
process, which pays for PyTorch's warm-up, is left out of the medians) and the load average: on a
busy machine the wall time grows, the CPU time much less.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lrlab  # noqa: E402  (first: pins the CPU numerics)
from lrlab import testbed  # noqa: E402
from lrlab.paired import MARGIN_SDS, MEASURES, paired, paired_summary, paired_table  # noqa: E402
from lrlab.train import History  # noqa: E402

COSINE = "cosine"


def seed_list(text: str) -> list[int]:
    """Seeds from ``"0-4"``, ``"10,12,15"`` or a mix (``"0-2,7"``): at least two, distinct, ≥ 0."""
    seeds: list[int] = []
    for part in text.split(","):
        first, dash, last = part.strip().partition("-")
        try:
            low, high = int(first), int(last) if dash else int(first)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a seed or a range of seeds: {part.strip()!r}") from None
        if low < 0 or high < low:
            raise argparse.ArgumentTypeError(f"seeds are whole numbers >= 0, ranges go up: {part.strip()!r}")
        seeds.extend(range(low, high + 1))
    if len(seeds) < 2:
        raise argparse.ArgumentTypeError("a paired comparison needs at least two seeds")
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"seeds repeat: {text!r}")
    return seeds


def rate_list(text: str) -> list[float]:
    """Learning rates from ``"0.05,0.1,0.2"``: at least two, distinct, positive."""
    try:
        rates = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of rates: {text!r}") from None
    if len(rates) < 2 or len(set(rates)) != len(rates) or not all(0 < r < float("inf") for r in rates):
        raise argparse.ArgumentTypeError(f"need at least two distinct positive rates, got {text!r}")
    return sorted(rates)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=seed_list, default=list(testbed.SEEDS),
                        help="seeds, e.g. 0-4 or 10,11,12 (default: the lectures' 0-4)")
    parser.add_argument("--grid", type=rate_list, default=list(testbed.GRID),
                        help=f"constant rates (default: {','.join(f'{r:g}' for r in testbed.GRID)})")
    parser.add_argument("--peak", type=float, default=testbed.PEAK, help=f"the cosine's first rate (default {testbed.PEAK:g})")
    parser.add_argument("--jobs", type=int, default=1, help="training processes (default 1; timings are cleanest with 1)")
    args = parser.parse_args(argv)
    if not 0 < args.peak < float("inf"):
        parser.error(f"--peak must be a positive rate, got {args.peak}")
    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1, got {args.jobs}")
    return args


_RUNS_IN_THIS_PROCESS = 0


def train_one(rate: float | str, seed: int, peak: float) -> tuple[History, tuple[float, float], bool]:
    """One testbed run (a constant ``rate`` or the cosine from ``peak``), its (wall-clock, CPU)
    seconds, and whether it was this process's first run (which pays for PyTorch's warm-up)."""
    global _RUNS_IN_THIS_PROCESS
    first = _RUNS_IN_THIS_PROCESS == 0
    _RUNS_IN_THIS_PROCESS += 1
    wall, cpu = time.perf_counter(), time.process_time()
    history = testbed.run_cosine(seed, peak) if rate == COSINE else testbed.run(float(rate), seed)
    return history, (time.perf_counter() - wall, time.process_time() - cpu), first


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = "1"
    tasks = [(rate, seed) for rate in [*args.grid, COSINE] for seed in args.seeds]
    load_before = os.getloadavg()[0]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(train_one, *zip(*tasks), [args.peak] * len(tasks)))
    runs = {task: history for task, (history, _, _) in zip(tasks, results)}
    timed = [s for _, s, first in results if not first] or [s for _, s, _ in results]
    wall, cpu = statistics.median(s[0] for s in timed), statistics.median(s[1] for s in timed)
    constants = {rate: [runs[(rate, seed)] for seed in args.seeds] for rate in args.grid}
    decay = [runs[(COSINE, seed)] for seed in args.seeds]

    print(f"Noisy testbed: {testbed.DATASET!r}, hidden {testbed.HIDDEN}, batch {testbed.BATCH_SIZE}, "
          f"{testbed.EPOCHS} epochs = {testbed.total_steps()} steps of plain SGD")
    print(f"cosine from {args.peak:g} to 0 (stepped every batch) against the best, per seed, of the constant rates "
          f"{', '.join(f'{r:g}' for r in args.grid)}; seeds {', '.join(map(str, args.seeds))}\n")
    verdicts = []
    for measure in MEASURES:
        result = paired(decay, constants, args.seeds, measure)
        print(paired_table(result, f"cosine from {args.peak:g}"))
        print(paired_summary(result))
        if result.rates_at_grid_edge:
            print(f"warning: on seeds {result.rates_at_grid_edge} the best constant rate is an end of the grid: widen it")
        print()
        verdicts.append(result.holds() and not result.rates_at_grid_edge)
    print(f"{len(tasks)} runs; seconds per run (one thread, median of {len(timed)}): wall {wall:.2f}, CPU {cpu:.2f}; "
          f"load average {load_before:.1f} → {os.getloadavg()[0]:.1f}; {args.jobs} process(es)")
    holds = all(verdicts)
    print(f"decay beats the best constant by ≥ {MARGIN_SDS:g} sd on every measure: {'yes' if holds else 'NO'}")
    return 0 if holds else 1


if __name__ == "__main__":
    sys.exit(main())
