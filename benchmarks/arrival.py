"""Grading on arrival under a burst: latency from Submit to feedback available, nothing lost,
every outcome equal to a batch ``grade`` of the same notebooks.

In a temporary copy of the course, with an exchange, every assignment graded on arrival
(``c.CourseRules``: no cool-down, no attempt limit, full feedback), the grading service
(``python -m autograder serve``, one worker per core unless ``--workers``) is started and
warmed up; then ``--students`` students (default 60, spread over the assignments) each submit
once through nbgrader's own ``ExchangeSubmit`` at seeded random moments within ``--seconds``
(default 60). The submissions are the golden check's mix (``tools/golden.py``): the demo
class (correct, partial, wrong, blank, broken JSON, not a notebook, slow, crashing, another
assignment's notebook), every sample answer set and the red-team submissions.

"Feedback available" means: the attempt's **scores page** is in the exchange under the key
nbgrader's Fetch Feedback looks for (what the student's Assignments tab then offers), measured
from the moment ``ExchangeSubmit`` finished writing the submission. The page with the executed
notebook comes later (the notebooks run while no submission waits for its scores); its latency
is printed too. Then the service is stopped, the same notebooks are graded by ``grade`` in
another copy, and every outcome (status, reason, each check's score) is compared.

Nothing is asserted: the figures go into the closing note, with the machine's load.

    python benchmarks/arrival.py [--students 60] [--seconds 60] [--workers N] [--seed 0] [--keep]

Measured on this 2-core machine while other jobs ran (1-minute load 6-9 during the runs), 60
students over ps1, ps2 and ps3 (20 each: correct 6, partial 7, wrong 10, blank 3, broken JSON 3,
not a notebook 3, slow 3, crashing 3, another assignment's notebook 3, red team 19), seed 0.
Goal: scores page p95 <= 30 s, p50 <= 10 s. Seconds from Submit:

==================  ==  =============  =============  ======================================
service workers     n   scores p50      scores p95     executed-notebook page p50 / p95
==================  ==  =============  =============  ======================================
2 (one per core)    60  2.2            4.8 (max 5.0)   83.4 / 124.3
3                   60  3.5            6.3 (max 7.5)   67.9 / 94.1
==================  ==  =============  =============  ======================================

Per kind (2 workers), p50 / p95: correct 1.5 / 4.2, partial 1.2 / 4.4, wrong 1.9 / 2.7, blank
1.4 / 3.2, broken JSON 0.9 / 2.4, not a notebook 2.5 / 3.2, other assignment 3.6 / 4.1, slow
(2 s in an answer) 3.4 / 4.7, crashing 2.9 / 3.9, red team 2.4 / 4.5. Nothing lost (60 records,
60 scores pages), and all 60 outcomes equal to a batch ``grade`` of the same notebooks (55.7 s
for the batch). The executed notebooks (43 graded submissions; failed ones have none) run one
at a time while no submission waits for its scores, so their pages come a minute or two later
under such a burst; a third worker shortens that at a small cost to the scores pages.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import cli, grade, store  # noqa: E402
from autograder.arrival.attempts import AttemptStore  # noqa: E402
from autograder.arrival.exchange import feedback_key, student_app  # noqa: E402
from autograder.course import Course, ensure_tools_on_path  # noqa: E402

ASSIGNMENTS = ("ps1_schedulers", "ps2_diagnosing_curves", "ps3_tuning")
RULES = {"attempts": None, "cooldown": 0, "feedback": "full"}


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (5-min {five:.1f}), {os.cpu_count()} cores"


def kind(student: str) -> str:
    """The kind of submission a golden-plan student id stands for."""
    name = student.split("_", 1)[1]
    for prefix, label in (("demo_correct", "correct"), ("demo_partial", "partial"), ("demo_wrong", "wrong"),
                          ("demo_blank", "blank"), ("demo_broken", "broken JSON"), ("demo_not_nb", "not a notebook"),
                          ("demo_slow", "slow"), ("demo_crashing", "crashing"), ("demo_other", "other assignment"),
                          ("sample-correct", "correct"), ("sample-partial", "partial"), ("sample-wrong", "wrong")):
        if name.startswith(prefix):
            return label
    return "red team"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1]


def make_course(where: Path, arrival: bool) -> Course:
    where.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", where)
    if arrival:
        with open(where / "nbgrader_config.py", "a") as fh:
            fh.write(f"\nc.CourseRules.assignments = {({a: RULES for a in ASSIGNMENTS})!r}\n")
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder, where / folder)
    return Course(where)


def plan(course: Course, students: int, rng: random.Random) -> list[tuple[str, str, object]]:
    """[(student, assignment, content)] from the golden check's mix, spread over the assignments."""
    from tools import golden

    chosen: list[tuple[str, str, object]] = []
    per = [students // len(ASSIGNMENTS) + (i < students % len(ASSIGNMENTS)) for i in range(len(ASSIGNMENTS))]
    for index, (assignment, n) in enumerate(zip(ASSIGNMENTS, per)):
        items = golden._submissions(course.root, assignment)
        demo = [k for k in items if k.startswith("demo_")]
        rest = [k for k in items if not k.startswith("demo_")]
        rng.shuffle(rest)
        for i, name in enumerate((demo + rest)[:n]):
            chosen.append((f"s{index}{i:02d}_{name}"[:64].replace("+", "_"), assignment, items[name]))
    return chosen


class Students:
    """Each student's home, fetched copy and submission through nbgrader's exchange classes."""

    def __init__(self, base: Path, exchange: Path) -> None:
        self.base, self.exchange = base, exchange

    def app(self, cls, student: str, assignment: str):
        return student_app(cls, self.exchange, self.base / student, "lrlab", student, assignment)

    def prepare(self, student: str, assignment: str, content: object) -> None:
        from nbgrader.exchange.default import ExchangeFetchAssignment

        fetcher = self.app(ExchangeFetchAssignment, student, assignment)
        fetcher.log.setLevel("ERROR")
        fetcher.start()
        work = self.base / student / assignment
        for path in work.glob("*.ipynb"):
            path.unlink()
        files = content if isinstance(content, dict) else {f"{assignment}.ipynb": content}
        for name, data in files.items():
            (work / name).write_bytes(data)

    def submit(self, student: str, assignment: str) -> None:
        from nbgrader.exchange.default import ExchangeSubmit

        submitter = self.app(ExchangeSubmit, student, assignment)
        submitter.log.setLevel("ERROR")
        submitter.start()


def watch(pages: dict[str, Path], seen: dict[str, dict[str, float]], stop: threading.Event) -> None:
    """Note when each attempt's scores page, then its page with the executed notebook, appear."""
    while not stop.is_set():
        now = time.monotonic()
        for student, path in list(pages.items()):
            if "full" in seen[student]:
                continue
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            if "lrlab-result" in text and "Being graded" not in text:
                seen[student].setdefault("scores", now)
                if "jp-Notebook" in text or "jp-Cell" in text:
                    seen[student]["full"] = now
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=60.0, help="the burst's length (default 60)")
    parser.add_argument("--workers", type=int, default=None, help="the service's workers (default: one per core)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--drain", type=float, default=900.0, help="seconds to wait for the last pages (default 900)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary courses")
    args = parser.parse_args(argv)
    ensure_tools_on_path()
    import lrlab  # noqa: F401  (pins PyTorch's CPU numerics before anything computes)
    from nbformat.validator import DuplicateCellId

    warnings.simplefilter("ignore", DuplicateCellId)  # the red team's tampered notebooks have them on purpose

    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="lrlab-arrival-"))
    exchange = tmp / "exchange"
    exchange.mkdir()
    os.chmod(exchange, 0o1777)
    os.environ["LRLAB_EXCHANGE"] = str(exchange)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    service = None
    try:
        course = make_course(tmp / "course", arrival=True)
        assert cli.main(["--course", str(course.root), "release", "--all"]) == 0
        course = Course(course.root)
        chosen = plan(course, args.students, rng)
        students = Students(tmp / "homes", exchange)
        for student, assignment, content in chosen:
            students.prepare(student, assignment, content)
        counts = defaultdict(int)
        for student, _, _ in chosen:
            counts[kind(student)] += 1
        print(f"{len(chosen)} students, one submission each ({', '.join(f'{k}: {n}' for k, n in sorted(counts.items()))}),"
              f" within {args.seconds:g} s; {load()}.")

        workers = ["--workers", str(args.workers)] if args.workers else []
        started = time.monotonic()
        service = subprocess.Popen([sys.executable, "-m", "autograder", "--course", str(course.root), "serve", *workers],
                                   cwd=course.root, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True)
        log: list[str] = []
        for line in service.stderr:
            log.append(line)
            if "warm" in line or "Traceback" in line:
                break
        threading.Thread(target=lambda: log.extend(service.stderr), daemon=True).start()
        print(f"service warm after {time.monotonic() - started:.1f} s: {log[-1].strip()}")

        times = sorted(rng.uniform(0, args.seconds) for _ in chosen)
        order = list(chosen)
        rng.shuffle(order)
        pages: dict[str, Path] = {}
        seen: dict[str, dict[str, float]] = defaultdict(dict)
        submitted: dict[str, float] = {}
        stop = threading.Event()
        watcher = threading.Thread(target=watch, args=(pages, seen, stop), daemon=True)
        watcher.start()
        t0 = time.monotonic()
        inbound = exchange / "lrlab" / "inbound"
        for at, (student, assignment, _) in zip(times, order):
            time.sleep(max(0.0, t0 + at - time.monotonic()))
            students.submit(student, assignment)
            submitted[student] = time.monotonic()
            (folder,) = inbound.glob(f"{student}+{assignment}+*")
            secret = (folder / "submission_secret.txt").read_text()
            pages[student] = exchange / "lrlab" / "feedback" / f"{feedback_key(secret, assignment)}.html"
        burst = time.monotonic() - t0
        print(f"burst: {len(submitted)} submissions in {burst:.1f} s; {load()}")

        deadline = time.monotonic() + args.drain
        while time.monotonic() < deadline and any("scores" not in seen[s] for s in submitted):
            time.sleep(0.2)
        attempts = AttemptStore(course.root)

        def executed_or_not_run() -> bool:
            return all(r.released == "full" or (o := attempts.outcome(r)) is None or o.status != "graded"
                       for r in attempts.records())

        while time.monotonic() < deadline and not executed_or_not_run():
            time.sleep(0.5)
        time.sleep(0.5)
        stop.set()
        watcher.join()
        drained = time.monotonic() - t0
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=120)
        print(f"all pages released {drained:.1f} s after the burst began; {load()}")
        print("".join(line for line in log if re.search(r"grading service: \d+ submission", line)).strip())

        scores = {s: seen[s]["scores"] - submitted[s] for s in submitted if "scores" in seen[s]}
        full = {s: seen[s]["full"] - submitted[s] for s in submitted if "full" in seen[s]}
        lost = sorted(set(submitted) - set(scores))
        records = {r.student: r for r in attempts.records()}
        print()
        print("Submit -> scores page in the exchange (what 'feedback available' means), seconds:")
        print(f"  {'kind':<18} {'n':>3} {'p50':>7} {'p95':>7} {'max':>7}")
        by_kind: dict[str, list[float]] = defaultdict(list)
        for student, seconds in scores.items():
            by_kind[kind(student)].append(seconds)
        for label, values in sorted(by_kind.items()) + [("all", list(scores.values()))]:
            print(f"  {label:<18} {len(values):>3} {percentile(values, 50):>7.1f} {percentile(values, 95):>7.1f} "
                  f"{max(values):>7.1f}")
        if full:
            values = list(full.values())
            print(f"Submit -> page with the executed notebook ({len(values)} graded submissions): "
                  f"p50 {percentile(values, 50):.1f} s, p95 {percentile(values, 95):.1f} s, max {max(values):.1f} s")
        print(f"lost: {len(lost)} {lost if lost else ''}; records: {len(records)} of {len(submitted)}")

        # the same notebooks through a batch `grade`
        batch = make_course(tmp / "batch", arrival=False)
        assert cli.main(["--course", str(batch.root), "release", "--all", "--no-exchange"]) == 0
        for record in records.values():
            target = batch.path("submitted", record.student, record.assignment)
            shutil.copytree(attempts.folder(record.assignment, record.student, record.attempt) / "submitted", target)
        t = time.monotonic()
        for assignment in ASSIGNMENTS:
            grade.run(batch, assignment, grade.GradeOptions(workers=args.workers, progress=False), log=lambda m: None)
        print(f"batch grade of the same {len(records)} notebooks: {time.monotonic() - t:.1f} s; {load()}")
        differ = []
        for record in records.values():
            ours, theirs = attempts.outcome(record), store.read(batch.root, record.assignment, record.student)

            def decided(o):
                return None if o is None else (o.status, str(o.reason or ""), [(c.grade_id, c.score) for c in o.checks])

            if decided(ours) != decided(theirs):
                differ.append((record.student, decided(ours), decided(theirs)))
        print(f"outcomes equal to the batch grade's: {len(records) - len(differ)} of {len(records)}")
        for student, ours, theirs in differ:
            print(f"  {student}: on arrival {ours}\n  {' ' * len(student)}  batch      {theirs}")
        if args.keep:
            print(f"kept: {tmp}")
        return 0
    finally:
        if service is not None and service.poll() is None:
            os.killpg(service.pid, signal.SIGKILL)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
