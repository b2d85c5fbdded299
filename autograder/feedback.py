"""``python -m autograder feedback ASSIGNMENT``: per-student HTML feedback, hidden tests never shown.

For every student with an outcome record this writes
``feedback/<student>/<assignment>/<notebook>.html`` — where nbgrader's ``release_feedback``
looks — next to copies of the submission's ``timestamp.txt`` and ``submission_secret.txt``.
nbgrader 0.9.6 keys released feedback by ``notebook_hash(secret=submission_secret,
notebook_id=<notebook>)`` and the student's ``fetch_feedback`` recomputes that key from the
secret kept in their own submission cache, so the secret must travel with the HTML
(plain ``nbgrader generate_feedback`` copies it the same way).

Each page has, first, the authoritative result: every check's title, points, score and
student-safe message (or, for a failed submission, why it could not be graded); then the
notebook as executed in the sandbox, rendered with nbconvert. That execution ran only the
*visible* tests, and before rendering the notebook is sanitised again anyway:

* every test cell's source is replaced by the released (student) version of that cell and
  any ``BEGIN/END HIDDEN TESTS`` block is dropped;
* tracebacks that pass through instructor code (``autograder/``) or quote hidden material
  are reduced to their last line, and hidden lines are redacted from every output;
* the finished page is searched for every line of hidden material (hidden test blocks of
  ``source/`` and the instructor-only code, :func:`hidden_code`) and the notebook part is
  withheld if any is found.
"""
from __future__ import annotations

import fnmatch
import html
import os
import re
import stat
from functools import cache
from pathlib import Path
from typing import Any

import nbformat

from autograder import store
from autograder.course import Course, CourseError
from autograder.outcome import Outcome
from autograder.reasons import not_graded

HIDDEN_BLOCK = re.compile(r"^[ \t]*#+[ \t]*BEGIN HIDDEN TESTS.*?^[ \t]*#+[ \t]*END HIDDEN TESTS[^\n]*\n?",
                          re.MULTILINE | re.DOTALL)
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MIN_SECRET_LINE = 16  # shorter lines ("return x", "import math") are not evidence of a leak
REDACTED = "[hidden]"
TEMPLATES = Path(__file__).resolve().parent / "templates"



# --------------------------------------------------------------------------- hidden material


def distinctive_lines(text: str) -> set[str]:
    """Distinctive lines: long enough, and not an import (imports reveal no reference)."""
    found = set()
    for line in text.splitlines():
        line = line.strip()
        if len(line) >= MIN_SECRET_LINE and not line.startswith(("import ", "from ", "#!")):
            found.add(line)
    return found


def hidden_code(course: Course) -> list[Path]:
    """The instructor-only code: the checks library and every assignment's own modules but
    its public harness (its checks, calibration, held-out data makers; not its answer sets),
    of this package and of the course root's own ``autograder/`` when it has one."""
    from autograder.harness import MODULE_NAME

    packages = dict.fromkeys([Path(__file__).resolve().parent, (course.root / "autograder").resolve()])
    found: list[Path] = []
    for package in (p for p in packages if p.is_dir()):
        found += sorted((package / "checks").glob("*.py"))
        found += sorted(p for p in (package / "assignments").glob("*/*.py") if p.stem != MODULE_NAME)
    return found


def hidden_material(course: Course, assignment: str, public: str) -> set[str]:
    """Lines the students must never see (minus those the release itself shows)."""
    lines: set[str] = set()
    for path in course.path("source", ".", assignment).glob("*.ipynb"):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:
            continue
        for cell in nb.cells:
            for block in HIDDEN_BLOCK.findall(cell.source):
                lines |= distinctive_lines(block)
    for path in hidden_code(course):
        lines |= distinctive_lines(path.read_text(encoding="utf-8", errors="replace"))
    public_lines = {line.strip() for line in public.splitlines()}
    return {line for line in lines if line not in public_lines and "BEGIN HIDDEN" not in line
            and "END HIDDEN" not in line}


def _redact(text: str, secrets: set[str]) -> str:
    if not text:
        return text
    out = []
    for line in text.splitlines(keepends=True):
        plain = ANSI.sub("", line)
        out.append(REDACTED + "\n" if any(s in plain for s in secrets) else line)
    return "".join(out)


def _mentions_instructor_code(lines: list[str], secrets: set[str]) -> bool:
    for line in lines:
        plain = ANSI.sub("", line)
        if "autograder" in plain or any(s in plain for s in secrets):
            return True
    return False


def sanitize(nb, release_nb, secrets: set[str]):
    """The executed notebook made safe to show (see the module doc). Modifies ``nb``."""
    public_tests = {}
    for cell in getattr(release_nb, "cells", []):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id"):
            public_tests[meta["grade_id"]] = cell.source
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        is_test = bool(meta.get("grade")) and not meta.get("solution") and not meta.get("task")
        if is_test:
            cell.source = public_tests.get(meta.get("grade_id"), "# (this test cell is not part of the assignment)")
        cell.source = _redact(HIDDEN_BLOCK.sub("", cell.source), secrets)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                trace = list(output.get("traceback", []))
                output["evalue"] = _redact(str(output.get("evalue", "")), secrets)
                if _mentions_instructor_code(trace, secrets):
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output['evalue']}"]
            elif output.get("output_type") == "stream":
                output["text"] = _redact("".join(output.get("text", "")), secrets)
            for key in ("data",):
                data = output.get(key, {})
                for mime in list(data):
                    if mime.startswith("text/") or mime.endswith("json"):
                        value = data[mime]
                        text = "".join(value) if isinstance(value, list) else str(value)
                        data[mime] = _redact(text, secrets)
    return nb


def visible_text(page: str) -> str:
    """Approximate text a browser shows (tags stripped, entities decoded)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL | re.IGNORECASE)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def leaks(page: str, secrets: set[str]) -> list[str]:
    text = visible_text(page)
    compact = re.sub(r"\s+", " ", text)
    return sorted(s for s in secrets if s in text or re.sub(r"\s+", " ", s) in compact)


# --------------------------------------------------------------------------- page


def _execute_pending(course: Course, assignment: str, students: list[str], workers: int | None, log,
                     allow_weak_isolation: bool = False) -> None:
    """The second grading pass for graded submissions without an executed notebook yet."""
    from autograder.grade import GradeOptions, execute_pending
    from autograder.grading.trusted import load_assignment
    from autograder.grading.worker import GradingJob, IsolationDemand

    pending = [s for s in students if not (course.path("autograded", s, assignment) / f"{assignment}.ipynb").is_file()]
    if pending:
        job = GradingJob(load_assignment(course, assignment), IsolationDemand(allow_weak=allow_weak_isolation))
        execute_pending(course, job, pending, GradeOptions(workers=workers, progress=False), log=log)


def result_context(outcome: Outcome) -> dict[str, Any]:
    """What ``templates/feedback_page/result.html.j2`` shows: the authoritative result, every
    check's score, points and message, and the late penalty with its reason."""
    from autograder.lateness import explain

    reason_text = not_graded(outcome.reason) if outcome.reason else "The submission could not be graded."
    late = explain(outcome.late)
    return {
        "assignment": outcome.assignment,
        "student": outcome.student,
        "notes": [],
        "failed": outcome.status == "failed",
        "reason_text": reason_text,
        "detail": outcome.detail if outcome.detail != reason_text else "",
        "show_score": True,
        "score": f"{outcome.score:g}",
        "max_score": f"{outcome.max_score:g}",
        "net_score": f"{outcome.net_score:g}" if late else "",
        "late": late,
        "columns": "points",
        "footnote": "Scores come from the course's grader, which checks your functions with more cases than the "
                    "visible tests below.",
        "checks": [{"title": c.title or c.grade_id, "score": f"{c.score:g}", "points": f"{c.points:g}",
                    "message": c.message} for c in outcome.checks],
    }


def _read_regular(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return None
        return fh.read()


def render(course: Course, outcome: Outcome, notebook: str, secrets: set[str], release_nb) -> str:
    """The page of ``outcome`` (its executed notebook from ``autograded/``): :func:`render_page`."""
    executed = course.path("autograded", outcome.student, outcome.assignment) / f"{notebook}.ipynb"
    return render_page(result_context(outcome), executed, secrets, release_nb)


def render_page(result: dict[str, Any], executed: Path | None, secrets: set[str], release_nb) -> str:
    """The page: the result section, then the sanitized executed notebook through nbconvert's
    ``lab`` template (``templates/feedback_page``); without it when missing or when it would leak."""
    from nbconvert import HTMLExporter

    data = _read_regular(executed) if executed is not None else None
    page = None
    if data is not None:
        try:
            nb = sanitize(nbformat.reads(data.decode("utf-8"), as_version=4), release_nb, secrets)
            exporter = HTMLExporter(template_name="feedback_page", extra_template_basedirs=[str(TEMPLATES)])
            page, _ = exporter.from_notebook_node(nb, resources={"lrlab_result": result})
        except Exception:  # an unreadable executed notebook: the result table still stands
            page = None
    if page is not None and not leaks(page, secrets):
        return page
    if executed is None:
        notice = ""
    elif page is None:
        notice = "Your executed notebook is not available for this submission."
    else:
        notice = "Your executed notebook is withheld from this page; ask your instructor."
    return page_templates().get_template("without_notebook.html.j2").render(result=result, notice=notice)


@cache
def page_templates():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES / "feedback_page")), autoescape=False)


def run(course: Course, assignment: str, *, students: str | None = None, workers: int | None = None,
        allow_weak_isolation: bool = False, log=print) -> list[Path]:
    course.require_assignment(assignment)
    outcomes = store.read_all(course.root, assignment)
    if students is not None:
        outcomes = {s: o for s, o in outcomes.items() if fnmatch.fnmatchcase(s, students)}
    if not outcomes:
        which = f" matching {students!r}" if students else ""
        raise CourseError(f"no graded submissions of {assignment}{which}: run `python -m autograder grade {assignment}` first")
    _execute_pending(course, assignment, sorted(outcomes), workers, log, allow_weak_isolation)
    outcomes = {s: store.read(course.root, assignment, s) or o for s, o in outcomes.items()}
    notebooks = course.notebook_names(assignment)
    written: list[Path] = []
    for notebook in notebooks:
        release_path = course.path("release", ".", assignment) / f"{notebook}.ipynb"
        release_nb = nbformat.read(release_path, as_version=4) if release_path.is_file() else None
        public = "\n".join(c.source for c in release_nb.cells) if release_nb else ""
        secrets = hidden_material(course, assignment, public)
        for student, outcome in sorted(outcomes.items()):
            folder = course.path("feedback", student, assignment)
            page = render(course, outcome, notebook, secrets, release_nb)
            written.append(store.atomic_write_text(folder / f"{notebook}.html", page,
                                                   group_shared=course.group_shared))
            submitted = course.path("submitted", student, assignment)
            for name in ("timestamp.txt", "submission_secret.txt"):
                data = _read_regular(submitted / name)
                if data is not None and len(data) < 4096:
                    store.atomic_write_bytes(folder / name, data, group_shared=course.group_shared)
    missing_secret = [s for s in outcomes if not (course.path("feedback", s, assignment) / "submission_secret.txt").is_file()]
    log(f"Feedback for {len(outcomes)} student(s) in {course.coursedir.feedback_directory}/<student>/{assignment}/")
    if missing_secret and course.exchange_root():
        log(f"  note: {len(missing_secret)} submission(s) have no submission_secret.txt (not submitted through "
            f"the exchange); nbgrader's release_feedback needs it for those.")
    return written
