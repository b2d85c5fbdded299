"""Grading throughput: plain ``nbgrader autograde`` vs. ``python -m autograder grade``.

Builds a synthetic class (default 60 submissions, split over every assignment that has a
``source/`` notebook and answer sets in ``autograder/assignments/<a>/samples/``, cycling through the answer
sets) in a temporary copy of the course, then, in one run and on the same submissions:

(a) plain nbgrader, serially: one ``nbgrader autograde ASSIGNMENT --force`` CLI call per
    assignment (hidden test cells import ``autograder.checks``, so PYTHONPATH holds the
    course copy, which contains ``autograder/``);
(b) the pipeline: one ``python -m autograder grade ASSIGNMENT`` call per assignment
    (local pool, one worker per core, fewer for a small class): the sealed scores, in the
    gradebook;
(c) then, outside the comparison, the pipeline's second pass: ``python -m autograder
    feedback ASSIGNMENT`` executes every graded notebook in the sandbox and writes the pages
    (what plain nbgrader's executed notebooks correspond to), timed separately.

Prints both wall times, the ratio, the per-submission median (pipeline: from the outcome
records; nbgrader: total / submissions, the CLI does not time each one), and whether every
submission's total in the gradebook is identical between (a) and (b), listing differences.
Nothing is asserted: the figures go into the closing note. The temporary course is removed
unless ``--keep``.

    python benchmarks/grading.py [--students 60] [--workers N] [--keep] [--no-feedback]

Where a grading run's fixed time went (issue 16; CPU seconds, so that load matters less;
measured with ``python -X importtime`` and per-stage timers on the shared 2-core machine):

=============================================  =========  ===================================
stage                                          before     after (this branch)
=============================================  =========  ===================================
nbformat import (jsonschema builds             3.25 per   0.29 per process
rfc3987-syntax's Lark grammar)                 process
nbgrader + the rest of the worker module       2.0 per    2.0 once (fork server)
                                               worker
ps1 checks: lrlab -> torch, sklearn, scipy     6.4 per    6.4 once (fork server)
                                               worker
ps1 trusted imports (torch._dynamo)            2.9 per    2.9 per worker (after the fork)
                                               worker
sandbox warm parent (torch, lrlab, IPython,    11.8 per   11.8 once, shared by the workers,
matplotlib, optimizer/figure warm-up)          worker     started before the gradebook set-up
=============================================  =========  ===================================

Measured (``--no-feedback``; main and this branch run side by side on the same, heavily
loaded machine: 1-minute load 11-17 from other jobs, so only the comparison means much):

=====================  ========  ==========  =========  ===================  =========
class                  code      (a) nbgr.   (b) pipe.  per-submission med.  speed-up
=====================  ========  ==========  =========  ===================  =========
16 (8 ps1 + 8 ps2)     main      799.5 s     499.3 s    1.75 s               1.60x
16 (8 ps1 + 8 ps2)     branch    834.8 s     326.5 s    4.16 s               2.56x
60 (30 ps1 + 30 ps2)   branch    2782.5 s    221.8 s    1.43 s               12.54x
=====================  ========  ==========  =========  ===================  =========

Quiet machine (load 0.8-1.5), main after the merge, with ps3 in the class:

=====================  ==========  =========  ===================  =========
class                  (a) nbgr.   (b) pipe.  per-submission med.  speed-up
=====================  ==========  =========  ===================  =========
18 (6 per assignment)  218.4 s     52.0 s     0.47 s               4.20x
60 (20 per assignment) 653.5 s     61.2 s     0.33 s               10.67x
=====================  ==========  =========  ===================  =========

Where totals differ, the sealed scorer is stricter on purpose: the forbidden-scheduler answer
sets (below), and ps3's range test that never resets its model (the sealed worker's first call
is on a fresh model and earns its half; in the kernel the visible cells already trained it).

Identical totals for every submission at 16. At 60 the class includes the two answer sets
that use a forbidden scheduler: plain nbgrader gives them 90, the sealed scorer voids the
checks whose own cells use one (80 and 60), as on main. The 60-submission run of main was
not measured (no time on the shared machine); the 16-submission per-submission median rose
under that load because one warm parent now serves both workers (one process's CPU share on
an overloaded machine, not measured directly); a side-by-side micro-run (two threads, 15
worker start/call/close cycles each, warm parents without torch so that each child imported
it) took 194.6 s on two warm parents and 198.0 s on one shared.
"""
from __future__ import annotations

import argparse
import itertools
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import store, submissions  # noqa: E402
from autograder.demo import DEMO_TIMESTAMP, write_submission  # noqa: E402
from autograder.course import Course, ensure_tools_on_path  # noqa: E402


def load() -> str:
    """The machine's 1-minute load average: the figures below mean little on a busy machine."""
    return f"load {os.getloadavg()[0]:.1f}"


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, proc


def totals(course_root: Path, assignments: list[str]) -> dict[tuple[str, str], float]:
    course = Course(course_root)
    out = {}
    with course.gradebook() as gb:
        for assignment in assignments:
            for sub in gb.assignment_submissions(assignment):
                out[(assignment, sub.student.id)] = round(float(sub.score), 4)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=60, help="submissions in total (default 60)")
    parser.add_argument("--workers", type=int, default=None, help="pipeline workers (default: one per core)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary course copies")
    parser.add_argument("--no-feedback", action="store_true", help="skip (c), the feedback pass (not in the ratio)")
    args = parser.parse_args(argv)
    ensure_tools_on_path()

    assignments = [p.name for p in sorted((ROOT / "source").iterdir())
                   if (p / f"{p.name}.ipynb").is_file() and submissions.variants(p.name)] \
        if (ROOT / "source").is_dir() else []
    if not assignments:
        print("Nothing to benchmark yet: no assignment has both source/<a>/<a>.ipynb and autograder/assignments/<a>/samples/.")
        return 1

    tmp = Path(tempfile.mkdtemp(prefix="lrlab-bench-"))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg"}
    try:
        base = tmp / "base"
        base.mkdir()
        shutil.copy(ROOT / "nbgrader_config.py", base)
        shutil.copytree(ROOT / "source", base / "source")
        shutil.copytree(ROOT / "autograder", base / "autograder",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        env_base = {**env, "PYTHONPATH": os.pathsep.join([str(base), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        seconds, proc = run([sys.executable, "-m", "autograder", "--course", str(base), "release", "--all",
                             "--no-exchange"], base, env_base)
        if proc.returncode:
            print(proc.stdout, proc.stderr)
            return 1
        course = Course(base)
        per = math.ceil(args.students / len(assignments))
        layout: dict[str, list[str]] = {}
        for assignment in assignments:
            names = submissions.variants(assignment)
            layout[assignment] = []
            for i, variant in zip(range(per), itertools.cycle(names)):
                student = f"b{i:03d}_{variant}"[:60]
                nb = submissions.build_submission(assignment, variant, base)
                import nbformat

                write_submission(course, assignment, student, nbformat.writes(nb).encode(), DEMO_TIMESTAMP)
                layout[assignment].append(student)
        n = sum(len(v) for v in layout.values())
        print(f"Synthetic class: {n} submissions ({', '.join(f'{a}: {len(s)}' for a, s in layout.items())}) "
              f"from {sum(len(submissions.variants(a)) for a in assignments)} answer sets; machine: "
              f"{os.cpu_count()} cores, {load()}.")
        copies = {}
        for label in ("nbgrader", "pipeline"):
            copies[label] = tmp / label
            shutil.copytree(base, copies[label])

        # (a) plain nbgrader, serially, one CLI call per assignment
        a_root = copies["nbgrader"]
        a_env = {**env, "PYTHONPATH": os.pathsep.join([str(a_root), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        a_time = 0.0
        for assignment in assignments:
            seconds, proc = run(["nbgrader", "autograde", assignment, "--force"], a_root, a_env)
            a_time += seconds
            print(f"  (a) nbgrader autograde {assignment}: {seconds:.1f} s (exit {proc.returncode}; {load()})")
        # (b) the pipeline, one CLI call per assignment
        b_root = copies["pipeline"]
        b_env = {**env, "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        b_time = 0.0
        workers = ["--workers", str(args.workers)] if args.workers else []
        for assignment in assignments:
            seconds, proc = run([sys.executable, "-m", "autograder", "--course", str(b_root), "grade", assignment,
                                 "--no-progress", *workers], b_root, b_env)
            b_time += seconds
            print(f"  (b) python -m autograder grade {assignment}: {seconds:.1f} s (exit {proc.returncode}; {load()})")
            if proc.returncode:
                print(proc.stderr[-2000:])

        per_sub = [o.seconds.get("total", sum(o.seconds.values()))
                   for a in assignments for o in store.read_all(b_root, a).values() if o.seconds]
        c_time = 0.0
        for assignment in [] if args.no_feedback else assignments:
            seconds, proc = run([sys.executable, "-m", "autograder", "--course", str(b_root), "feedback", assignment,
                                 *workers], b_root, b_env)
            c_time += seconds
            print(f"  (c) python -m autograder feedback {assignment}: {seconds:.1f} s (exit {proc.returncode})")
        a_tot, b_tot = totals(a_root, assignments), totals(b_root, assignments)
        keys = sorted(set(a_tot) | set(b_tot))
        diffs = [(k, a_tot.get(k), b_tot.get(k)) for k in keys if a_tot.get(k) != b_tot.get(k)]
        print()
        print(f"(a) plain nbgrader autograde, serial : {a_time:8.1f} s   ({a_time / n:.2f} s per submission)")
        print(f"(b) python -m autograder grade       : {b_time:8.1f} s   ({b_time / n:.2f} s per submission)")
        print(f"speed-up (a)/(b)                     : {a_time / b_time:8.2f}x")
        if per_sub:
            print(f"pipeline per-submission median       : {statistics.median(per_sub):8.2f} s  "
                  f"(worker time for the scores, from outcome records)")
        if not args.no_feedback:
            print(f"(c) feedback pass (execute + pages)  : {c_time:8.1f} s   (not in the ratio)")
        print(f"identical totals for every submission: {'yes' if not diffs else 'NO'} ({len(keys)} compared)")
        for (assignment, student), a, b in diffs:
            failed = store.read(b_root, assignment, student)
            why = f" [{failed.status} {failed.reason or ''}]" if failed else ""
            print(f"  {assignment}/{student}: nbgrader {a} vs pipeline {b}{why}")
        if args.keep:
            print(f"kept: {tmp}")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
