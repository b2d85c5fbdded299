"""``python -m autograder demo`` (``make demo``): the whole workflow on a small sample class.

On a fresh clone with the SQLite default: regenerate ``release/`` (and the gradebook) from
``source/``; lay out the bundled answer sets (each assignment's ``samples/``) as a class in
``submitted/<student>/<assignment>/`` with nbgrader-style ``timestamp.txt``; grade;
write feedback, the CSV exports and the report; print the grade table and the paths.

The class, per assignment (student ids say what they are):

==================  =============================================================
``demo_correct``    the ``correct`` answer set
``demo_partial``    ``partial`` (some checks right)
``demo_wrong``      the first ``wrong_*`` answer set
``demo_blank``      the release notebook untouched
``demo_broken``     a truncated notebook: invalid JSON
``demo_not_nb``     no notebook at all, only a ``.py`` file
``demo_slow``       ``correct`` with a 2 s sleep in an answer (slow but within limits)
``demo_crashing``   ``correct`` whose first answer calls ``os._exit(3)``
``demo_other``      another assignment's notebook under this one's name (when one exists)
==================  =============================================================

Parts that do not exist yet (an assignment without ``source/``, answer sets or the
grader) are skipped with a clear message; the rest still runs.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import nbformat

from autograder import submissions
from autograder.cells import is_answer_cell
from autograder.course import Course, CourseError

DEMO_TIMESTAMP = "2026-01-15 10:00:00.000000 UTC"
SLOW_PREFIX = "import time as _demo_time\n_demo_time.sleep(2)\n"
CRASH_PREFIX = "import os as _demo_os\n_demo_os._exit(3)\n"


def _first_answer(assignment: str, root: Path) -> str:
    nb = submissions.release_notebook(assignment, root)
    for cell in nb.cells:
        if is_answer_cell(cell):
            return cell.metadata["nbgrader"]["grade_id"]
    raise ValueError(f"{assignment} has no answer cell")


def _with_prefix(assignment: str, variant: str, prefix: str, root: Path):
    answers = submissions.answers(assignment, variant)
    first = _first_answer(assignment, root)
    answers[first] = prefix + answers.get(first, "")
    return submissions.fill(submissions.release_notebook(assignment, root), answers)


def roster(assignment: str, root: Path) -> dict[str, Callable[[], bytes | dict[str, bytes]]]:
    """{student: builder} for the demo class; a builder returns the notebook bytes, or
    {filename: bytes} for a submission that is not ``<assignment>.ipynb``."""
    names = submissions.variants(assignment)
    if "correct" not in names:
        raise CourseError(f"no answer sets for {assignment} in autograder/assignments/{assignment}/samples/ yet")
    wrong = next((n for n in names if n.startswith("wrong")), None)

    def nb_bytes(nb) -> bytes:
        return nbformat.writes(nb).encode()

    plan: dict[str, Callable[[], bytes | dict[str, bytes]]] = {
        "demo_correct": lambda: nb_bytes(submissions.build_submission(assignment, "correct", root)),
    }
    if "partial" in names:
        plan["demo_partial"] = lambda: nb_bytes(submissions.build_submission(assignment, "partial", root))
    if wrong:
        plan["demo_wrong"] = lambda: nb_bytes(submissions.build_submission(assignment, wrong, root))
    plan.update({
        "demo_blank": lambda: nb_bytes(submissions.release_notebook(assignment, root)),
        "demo_broken": lambda: nb_bytes(submissions.build_submission(assignment, "correct", root))[:400],
        "demo_not_nb": lambda: {"answers.py": "\n\n".join(submissions.answers(assignment, "correct").values()).encode()},
        "demo_slow": lambda: nb_bytes(_with_prefix(assignment, "correct", SLOW_PREFIX, root)),
        "demo_crashing": lambda: nb_bytes(_with_prefix(assignment, "correct", CRASH_PREFIX, root)),
    })
    others = sorted(p for p in (root / "release").glob("*/*.ipynb")
                    if p.parent.name != assignment and p.stem == p.parent.name)
    if others:
        plan["demo_other"] = lambda: others[0].read_bytes()
    return plan


def write_submission(course: Course, assignment: str, student: str, content: bytes | dict[str, bytes],
                     timestamp: str = DEMO_TIMESTAMP) -> Path:
    """Lay out one submission as nbgrader's collect would (``timestamp.txt`` included).

    Files are rewritten only when their bytes change, so re-running keeps outcomes current.
    """
    folder = course.path("submitted", student, assignment)
    folder.mkdir(parents=True, exist_ok=True)
    files = content if isinstance(content, dict) else {f"{assignment}.ipynb": content}
    for stale in folder.iterdir():
        if stale.is_file() and stale.name not in files and stale.name != "timestamp.txt":
            stale.unlink()
    for name, data in {**files, "timestamp.txt": timestamp.encode()}.items():
        path = folder / name
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
    return folder


def layout_class(course: Course, assignment: str) -> list[str]:
    students = []
    for student, build in roster(assignment, course.root).items():
        write_submission(course, assignment, student, build())
        students.append(student)
    return students


def grade_table(course: Course, assignments: list[str]) -> str:
    import pandas as pd

    from autograder import store

    rows = []
    for assignment in assignments:
        for student, o in sorted(store.read_all(course.root, assignment).items()):
            rows.append({"assignment": assignment, "student": student, "status": o.status,
                         "score": f"{o.score:g} / {o.max_score:g}" if o.status == "graded" else "—",
                         "reason": o.reason or "", "flags": len(o.flags),
                         "seconds": f"{sum(v for k, v in o.seconds.items() if k != 'total') or o.seconds.get('total', 0):.1f}"})
    if not rows:
        return "(no outcomes)"
    return pd.DataFrame(rows).to_markdown(index=False)


def run(course: Course, *, workers: int | None = None, log=print) -> int:
    from autograder import assignments, export, feedback, grade, release, report

    missing: list[str] = []
    log("== release: regenerate release/ and the gradebook from source/")
    released = [r.assignment for r in release.run(course, all_=True, exchange=False, log=log)]
    for assignment in assignments.names():
        if assignment not in released:
            missing.append(f"{assignment}: no source/{assignment}/{assignment}.ipynb yet")

    graded: list[str] = []
    paths: list[str] = []
    for assignment in released:
        try:
            students = layout_class(course, assignment)
        except (CourseError, ValueError) as err:
            missing.append(f"{assignment}: {err}")
            continue
        log(f"== {assignment}: sample class in {course.coursedir.submitted_directory}/: {', '.join(students)}")
        grade.run(course, assignment, grade.GradeOptions(workers=workers, students="demo_*"))
        graded.append(assignment)
        written = feedback.run(course, assignment, students="demo_*", workers=workers, log=log)
        paths.append(f"feedback:  {os.path.relpath(written[0].parent.parent.parent, course.root)}/<student>/{assignment}/")
        paths.append(f"report:    {os.path.relpath(report.run(course, assignment, log=log), course.root)}")

    if graded:
        grades, checks = export.run(course, log=log)
        paths += [f"grades:    {os.path.relpath(grades, course.root)}",
                  f"checks:    {os.path.relpath(checks, course.root)}"]
        log("\n== grades\n" + grade_table(course, graded))
        log("\n== files\n" + "\n".join(paths))
    if missing:
        log("\n== not available yet (the demo ran everything else):\n" + "\n".join(f"  - {m}" for m in missing))
    return 0
