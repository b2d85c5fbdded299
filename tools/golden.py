"""The golden check: what the grader decides, captured once and compared after every change.

``python tools/golden.py`` grades, on a temporary copy of the course, through the real
pipeline (``autograder.grade.run``, which runs validation, the sealed scorer and the
sandboxed feedback run):

* the demo class of every assignment (``autograder.demo.roster``);
* every sample answer set (``autograder/assignments/<assignment>/samples/*.py``);
* the red-team submissions whose outcome does not depend on timing: every attack of
  ``tests/test_redteam.py``'s ``ATTACKS``, the fast whole-submission failures, the notebook
  tampering cases and the bad files.

It writes the normalized result to stdout (or, with ``--update``, to
``tests/golden/grading.json``): per submission the outcome record without timings, paths,
timestamps or hashes (status, reason, detail, per-check score, message, basics_ok,
kernel_passed, flags) and the gradebook's per-grade-cell scores. ``tests/test_golden.py``
regrades and compares. Regenerating the file is a deliberate ``--update`` whose commit says
why the grader's decisions changed.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GOLDEN = ROOT / "tests" / "golden" / "grading.json"
COURSE_TOKEN = "<COURSE>"
#: Where a message names this checkout (e.g. an attack that prints the sandbox's PATH, which
#: holds the venv) the rest depends on the clone's location and the message's length cap.
REPO_TOKEN = "<REPO>…"
#: A port no attack can reach (the network attacks try it; the sandbox has no network anyway).
CLOSED_PORT = "9"
#: Whole-submission failures whose reason does not depend on the machine's speed.
FAST_FATAL = ("exit_at_load", "huge_output")


def _submissions(root: Path, assignment: str) -> dict[str, bytes | dict[str, bytes]]:
    """{student: notebook bytes or {filename: bytes}} of everything the golden check grades."""
    import nbformat

    from autograder import demo, submissions
    from tests import test_redteam as redteam

    def nb_bytes(nb: Any) -> bytes:
        return nbformat.writes(nb).encode()

    release = submissions.release_notebook(assignment, root)
    plan: dict[str, bytes | dict[str, bytes]] = {s: build() for s, build in demo.roster(assignment, root).items()}
    for variant in submissions.variants(assignment):
        plan[f"sample-{variant}"] = nb_bytes(submissions.fill(release, submissions.answers(assignment, variant)))
    checks = redteam.load_checks(assignment)
    subst = {"{COURSE}": str(root), "{PORT}": CLOSED_PORT}
    for name, base, _zero, _execute, target in redteam.ATTACKS.get(assignment, []):
        cell = checks[target].answer_cells[0]
        answers = redteam.redteam_answers(assignment, name, subst, base=base, cell=cell)
        plan[f"attack-{name}"] = nb_bytes(submissions.fill(release, answers))
        plan[f"base-{base}"] = nb_bytes(submissions.fill(release, redteam.redteam_answers(assignment, base)))
    for name in FAST_FATAL:
        answers = redteam.redteam_answers(assignment, name, cell=redteam.LOAD_CELL[assignment])
        plan[f"fatal-{name}"] = nb_bytes(submissions.fill(release, answers))
    for mutate, _flag in redteam.TAMPER:
        nb = submissions.fill(release, redteam.redteam_answers(assignment, "correct"))
        mutate(nb, assignment)
        plan[f"tamper-{mutate.__name__.strip('_')}"] = nb_bytes(nb)
    for label, make, _reason in redteam.BAD_FILES:
        if label != "other_assignment":  # the demo class's demo_other covers it
            plan[f"bad-{label}"] = make(assignment)
    return plan


def _normalize(value: Any, roots: tuple[Path, ...]) -> Any:
    """Course paths (of every folder the course was graded in) replaced by a token and text
    after a path into this checkout cut off, recursively."""
    if isinstance(value, str):
        for root in roots:
            value = value.replace(str(root), COURSE_TOKEN)
        cut = value.find(str(ROOT))
        return value if cut < 0 else value[:cut] + REPO_TOKEN
    if isinstance(value, list):
        return [_normalize(v, roots) for v in value]
    if isinstance(value, dict):
        return {k: _normalize(v, roots) for k, v in value.items()}
    return value


def _outcome_record(outcome: Any, roots: tuple[Path, ...]) -> dict[str, Any]:
    """What the grader decided, without timings, paths, timestamps, hashes or the isolation
    level (a property of the machine, not of the submission)."""
    record = {
        "status": outcome.status,
        "reason": str(outcome.reason) if outcome.reason else None,
        "detail": outcome.detail,
        "checks": [
            {"grade_id": c.grade_id, "title": c.title, "points": c.points, "score": c.score,
             "message": c.message, "basics_ok": c.basics_ok, "kernel_passed": c.kernel_passed}
            for c in outcome.checks
        ],
        "flags": outcome.flags,
    }
    return _normalize(record, roots)


def _gradebook_scores(course: Any, assignment: str) -> dict[str, dict[str, Any]]:
    """{student: {grade cell: [auto_score, manual_score, needs_manual_grade], "flagged": bool}}."""
    out: dict[str, dict[str, Any]] = {}
    with course.gradebook() as gb:
        for submission in gb.assignment_submissions(assignment):
            cells: dict[str, Any] = {}
            for nb in submission.notebooks:
                for grade in nb.grades:
                    cells[grade.cell.name] = [grade.auto_score, grade.manual_score, bool(grade.needs_manual_grade)]
                cells["flagged"] = bool(nb.flagged)
            out[submission.student.id] = dict(sorted(cells.items()))
    return out


def course_copy(root: Path, graded: Path | None = None) -> Any:
    """A new course at ``root`` with this checkout's nbgrader config, source/ and release/;
    or, with ``graded``, a copy of that course as it is (its records and gradebook included)."""
    from autograder.course import Course

    if graded is not None:
        shutil.copytree(graded, root, symlinks=True)
        return Course(root)
    root.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", root)
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder, root / folder)
    return Course(root)


def capture(workers: int = 2, log: Any = None, only: list[str] | None = None,
            graded: Path | None = None) -> dict[str, Any]:
    """Grade everything (or the assignments ``only`` names) on a temporary course copy; the
    normalized results by assignment.

    ``graded``: a course where ``python -m autograder demo`` already graded the demo class
    (the tests share one such run): the copy starts from it, and the grader's resume grades
    only the submissions that are not already current there.
    """
    from autograder import assignments, demo, grade, store

    log = log or (lambda msg: print(msg, file=sys.stderr))
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="lrlab-golden-") as tmp:
        course = course_copy(Path(tmp) / "course", graded)
        root = course.root
        roots = (root,) if graded is None else (root, graded)
        for assignment in only or assignments.names():
            plan = _submissions(root, assignment)
            for student, content in plan.items():
                demo.write_submission(course, assignment, student, content)
            log(f"golden: grading {len(plan)} submissions of {assignment}")
            grade.run(course, assignment, grade.GradeOptions(workers=workers, execute=True, progress=False), log=log)
            outcomes = store.read_all(root, assignment)
            result[assignment] = {
                "outcomes": {s: _outcome_record(o, roots) for s, o in sorted(outcomes.items())},
                "gradebook": _gradebook_scores(course, assignment),
            }
    return result


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Human-readable differences between two captures (empty when identical)."""
    out: list[str] = []

    def walk(a: Any, b: Any, where: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                if key not in a:
                    out.append(f"{where}/{key}: new {json.dumps(b[key])[:300]}")
                elif key not in b:
                    out.append(f"{where}/{key}: missing (was {json.dumps(a[key])[:300]})")
                else:
                    walk(a[key], b[key], f"{where}/{key}")
        elif a != b:
            out.append(f"{where}: {json.dumps(a)[:300]} -> {json.dumps(b)[:300]}")

    walk(expected, actual, "")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help=f"write {GOLDEN.relative_to(ROOT)}")
    parser.add_argument("--check", action="store_true", help="compare with the committed file")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--assignment", action="append",
                        help="capture only this assignment (repeatable); --update keeps the others' records")
    args = parser.parse_args(argv)
    import lrlab  # noqa: F401  (pins PyTorch's CPU numerics before anything computes)

    result = capture(args.workers, only=args.assignment)
    if args.assignment:
        result = {**{a: r for a, r in json.loads(GOLDEN.read_text()).items() if a not in args.assignment}, **result}
    text = json.dumps(result, indent=1, sort_keys=True) + "\n"
    if args.update:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text)
        print(f"wrote {GOLDEN.relative_to(ROOT)}", file=sys.stderr)
    elif args.check:
        diff = differences(json.loads(GOLDEN.read_text()), result)
        print("\n".join(diff) or "identical")
        return 1 if diff else 0
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
