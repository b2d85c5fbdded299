"""Regenerate ps3's held-out data from real ``lrlab`` training runs (deterministic).

    python -m autograder.assignments.ps3_tuning.make_data           # rewrite data.json and practice_runs.json
    python -m autograder.assignments.ps3_tuning.make_data --check   # regenerate in memory, compare with the files

For every problem of :data:`PROBLEMS` (set-ups the notebook never shows: other datasets,
widths, optimizers, batch sizes, training-set sizes and seeds):

* a range test as the notebook's Part 1 specifies it (``reference.staircase`` here, with the
  problem's own optimizer: :data:`TRACE_RATES` rates from :data:`TRACE_START` to
  :data:`TRACE_END`, each held for :data:`TRACE_BATCHES` mini-batches, their mean loss
  recorded, stopped once a level passes 4 x the lowest before it);
* a constant-rate sweep over every rate of ``SWEEP_RATES`` (``heldout.py``), each run
  ``problem.epochs`` epochs, its per-epoch training and validation losses kept, and whether
  lrlab calls it diverged (``History.diverged``: a loss that is not finite or above
  ``lrlab.train.DIVERGENCE_LOSS`` at some epoch; a run that reached a non-finite loss stops
  early, its remaining epochs stored as nan).

Nothing is filtered or chosen by hand after the runs. ``suggest_lr`` is graded on the traces
against each sweep's good band; the tuning loop is driven over the sweeps of :data:`LOOP`, and
``choose_lr`` is judged on histories cut from the others (``heldout.choose_cases``).
The released ``practice_runs.json`` holds Part 1's practice trace and Part 3's practice sweep.
Runs go through ``WORKERS`` processes, each importing ``lrlab`` before torch computes.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from autograder import REPO_ROOT
from autograder.assignments.ps3_tuning import reference
from autograder.assignments.ps3_tuning.harness import problem_parts
from autograder.assignments.ps3_tuning.heldout import DATA_PATH, SWEEP_RATES
from autograder.checks.runs import Problem, encode_value, train_with_rates

WORKERS = 2
TRACE_START, TRACE_END, TRACE_RATES, TRACE_BATCHES = 1e-5, 10.0, 25, 4
#: Part 1's practice problem (the notebook's visible tests): digits, 64 hidden units, batches of
#: 64, seed 0; the test from 1e-4 to 10 in 21 rates of 4 mini-batches each.
PRACTICE_TRACE = {"dataset": "digits", "hidden": [64], "seed": 0, "batch_size": 64,
                  "min_lr": 1e-4, "max_lr": 10.0, "num_rates": 21, "batches_per_rate": 4}
P = Problem
#: Held-out problems: the traces of all of them grade suggest_lr.
PROBLEMS: tuple[Problem, ...] = (
    P("wine", (32,), "sgd", 16, 20, 101),
    P("wine", (128,), "adam", 16, 20, 102),
    P("wine", (64, 64), "sgd", 16, 20, 103, momentum=0.9),
    P("iris", (16,), "sgd", 16, 30, 104),
    P("iris", (64,), "adam", 16, 30, 105),
    P("breast_cancer", (64,), "sgd", 32, 15, 106),
    P("breast_cancer", (32, 32), "rmsprop", 32, 15, 107),
    P("breast_cancer", (128,), "adamw", 64, 15, 108),
    P("digits", (32,), "sgd", 32, 15, 109, n_train=400),
    P("digits", (128,), "adam", 32, 15, 110, n_train=400),
    P("digits", (256,), "sgd", 32, 30, 111, momentum=0.9, n_train=200),
    P("breast_cancer", (256,), "adam", 16, 30, 112, n_train=100),
)
#: Part 3's practice sweep, released with the notebook (a set-up none of PROBLEMS uses).
PRACTICE = P("iris", (32,), "sgd", 16, 20, 0)
PRACTICE_PATH = REPO_ROOT / "source" / "ps3_tuning" / "practice_runs.json"
#: The problems the tuning loop of Part 3 is run on (by name).
LOOP: tuple[str, ...] = (PROBLEMS[9].name, PROBLEMS[10].name, PROBLEMS[11].name)


def range_trace(problem: Problem) -> dict[str, Any]:
    """The staircase range test of ``problem`` with its own optimizer (rates to 6 digits)."""
    from lrlab.train import make_optimizer

    model, make_loader = problem_parts(problem.dataset, problem.hidden, problem.seed, problem.batch_size,
                                       problem.n_train)
    optimizer = make_optimizer(problem.optimizer, model.parameters(), TRACE_START, problem.momentum)
    lrs, losses = reference.staircase(model, optimizer, make_loader(), TRACE_START, TRACE_END, TRACE_RATES,
                                      TRACE_BATCHES)
    return {"lrs": [float(f"{r:.6g}") for r in lrs], "losses": [encode_value(v) for v in losses]}


def practice_trace() -> dict[str, Any]:
    """Part 1's practice trace, as the notebook's ``range_test`` must give it (full precision)."""
    settings = PRACTICE_TRACE
    model, make_loader = problem_parts(settings["dataset"], settings["hidden"], settings["seed"],
                                       settings["batch_size"])
    lrs, losses = reference.range_test(model, make_loader(), settings["min_lr"], settings["max_lr"],
                                       settings["num_rates"], settings["batches_per_rate"])
    return {**settings, "lrs": lrs, "losses": [v if math.isfinite(v) else "inf" for v in losses]}


def constant_run(job: tuple[Problem, float]) -> dict[str, Any]:
    problem, lr = job
    history = train_with_rates(problem, [lr])
    pad = problem.epochs - history.epochs_run
    best = history.best_val_loss
    return {
        "lr": float(f"{lr:.6g}"),
        "train_loss": [encode_value(v) for v in history.train_loss] + ["nan"] * pad,
        "val_loss": [encode_value(v) for v in history.val_loss] + ["nan"] * pad,
        "diverged": history.diverged,
        "best_val": None if history.diverged or math.isnan(best) else encode_value(best),
        "initial_val": encode_value(history.initial_val_loss),
    }


def generate(workers: int = WORKERS) -> dict[str, Any]:
    jobs = [(p, lr) for p in PROBLEMS for lr in SWEEP_RATES]
    with ProcessPoolExecutor(workers) as pool:
        traces = list(pool.map(range_trace, PROBLEMS))
        runs = list(pool.map(constant_run, jobs, chunksize=4))
    problems = []
    for i, (problem, trace) in enumerate(zip(PROBLEMS, traces)):
        sweep = runs[i * len(SWEEP_RATES):(i + 1) * len(SWEEP_RATES)]
        problems.append({
            "name": problem.name,
            "problem": problem.to_plain(),
            "initial_val": sweep[0]["initial_val"],
            "trace": trace,
            "sweep": [{k: v for k, v in run.items() if k != "initial_val"} for run in sweep],
        })
    return {"sweep_rates": [float(f"{r:.6g}") for r in SWEEP_RATES], "loop": list(LOOP), "problems": problems}


def practice_runs(workers: int = WORKERS) -> dict[str, Any]:
    """The released practice data: Part 1's practice trace, and Part 3's practice sweep (per
    rate ``lr``, ``train_loss``, ``val_loss``, ``diverged``; and ``best_lr``)."""
    with ProcessPoolExecutor(workers) as pool:
        runs = list(pool.map(constant_run, [(PRACTICE, lr) for lr in SWEEP_RATES]))
    finite = [r for r in runs if r["best_val"] is not None]
    best = min(finite, key=lambda r: r["best_val"])["lr"]
    described = f"{PRACTICE.dataset}, {PRACTICE.hidden[0]} hidden units, SGD, batches of {PRACTICE.batch_size}, {PRACTICE.epochs} epochs"
    sweep = {"problem": described, "best_lr": best,
             "runs": [{k: r[k] for k in ("lr", "train_loss", "val_loss", "diverged")} for r in runs]}
    return {"trace": practice_trace(), "sweep": sweep}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with data.json instead of writing it")
    parser.add_argument("--workers", type=int, default=WORKERS)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    files = {DATA_PATH: generate(args.workers), PRACTICE_PATH: practice_runs(args.workers)}
    texts = {path: json.dumps(data, separators=(",", ":")) + "\n" for path, data in files.items()}
    print(f"{len(PROBLEMS)} problems, {len(PROBLEMS) * len(SWEEP_RATES)} runs in {time.perf_counter() - start:.0f} s")
    if args.check:
        stale = [path.name for path, text in texts.items() if path.read_text() != text]
        print(f"differ from a fresh run: {', '.join(stale)}" if stale else "data.json and practice_runs.json are up to date")
        return 1 if stale else 0
    for path, text in texts.items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
