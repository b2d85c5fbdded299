"""Sealed scoring time per submission (every assignment): the median over the sample answer sets.

Starts one warm sandbox (not counted), warms the trusted side (torch, the check modules,
one untimed submission), then times ``autograder.grading.scorer.score_report`` — fork a
child, load the answers, every check's round trips, the trusted references — for every answer
set in ``autograder/assignments/<assignment>/samples/``, ``--repeat`` times each. Target: well under 1 s for ps1
and ps2; at most 5 s for ps3, whose checks train (a range test re-run, the schedule's training
on four held-out seeds; the loop's curves and choose_lr's histories come from the stored sweeps).

    python benchmarks/scoring.py [--repeat 3] [--assignment ps1_schedulers]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from autograder import assignments  # noqa: E402
from autograder.grading.scorer import score_report  # noqa: E402
from autograder.sandbox import Limits, Sandbox  # noqa: E402
from autograder.submissions import answers, fill, release_notebook, variants  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--assignment", action="append", choices=assignments.names())
    args = parser.parse_args(argv)
    wanted = args.assignment or assignments.names()
    ready = []
    for assignment in wanted:
        if not (ROOT / "release" / assignment / f"{assignment}.ipynb").is_file() or not variants(assignment):
            print(f"{assignment}: skipped (no release notebook or no sample answer sets)")
            continue
        ready.append(assignment)
    if not ready:
        return 1
    import torch  # noqa: F401  (the trusted side's references use it; import once, untimed)
    import torch._dynamo  # noqa: F401  (what the first optimizer would import)

    with tempfile.TemporaryDirectory(prefix="lrlab-bench-") as course:
        t0 = time.perf_counter()
        with Sandbox(course, Limits()) as sandbox:
            print(f"sandbox: {sandbox.isolation.level}, started in {time.perf_counter() - t0:.1f} s")
            print(f"{'assignment':<24} {'subs':>5} {'median s':>9} {'p90 s':>7} {'max s':>7}  slowest")
            for assignment in ready:
                declared = assignments.get(assignment)
                trusted = release_notebook(assignment)
                subs = {v: fill(trusted, answers(assignment, v)) for v in variants(assignment)}
                first = next(iter(subs.values()))
                score_report(declared, trusted, first, sandbox)  # untimed warm-up
                times: list[tuple[float, str]] = []
                for _ in range(args.repeat):
                    for variant, nb in subs.items():
                        report = score_report(declared, trusted, nb, sandbox)
                        times.append((report.seconds, variant))
                values = sorted(t for t, _ in times)
                p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
                slow = max(times)
                print(f"{assignment:<24} {len(subs):>5} {statistics.median(values):>9.3f} {p90:>7.3f} "
                      f"{slow[0]:>7.3f}  {slow[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
