"""Detectors for instructor material in a folder meant for students (``publish``'s gate).

:func:`scan` reads every file under a folder (notebooks through nbformat: cell sources and
text outputs; other files as text; binary files are skipped) and reports each finding as a
:class:`Leak`. What counts as instructor material comes from the course itself:

* ``instructor path`` — a file or folder named like the instructor's side of the course
  (``autograder/``, ``source/``, ``submitted/``, a gradebook, …), or a symlink;
* ``solution`` — nbgrader's ``BEGIN SOLUTION`` / ``END SOLUTION`` delimiters, and any
  distinctive line (:func:`autograder.feedback.distinctive_lines`) of a solution block in
  ``source/`` that the release does not show;
* ``mark scheme`` — ``BEGIN MARK SCHEME`` / ``END MARK SCHEME`` delimiters and their lines;
* ``hidden test`` — ``BEGIN HIDDEN TESTS`` / ``END HIDDEN TESTS``, the in-kernel hook
  ``run_in_kernel(`` or an import of ``autograder``, and any distinctive line of a hidden
  test block;
* ``check module`` — any distinctive line of the instructor-only code
  (:func:`autograder.feedback.hidden_code`: the checks library, every assignment's checks and
  calibration) the release does not show (reference tables, tolerances, hidden cases);

(lines the release notebooks show, or listed in the reviewed ``autograder/public_lines.txt``
as generic code shared with lectures and ``lrlab``, are not evidence);
* ``reference value`` — a pair of an assignment's answer key (ps2: figure → label) written
  side by side;
* ``bank curve`` — a held-out series of an assignment (ps2: a curve of its bank): its id, or
  four consecutive values of it verbatim (runs that also occur in the public series are not
  evidence). What is held out comes from each assignment's
  :attr:`~autograder.assignments.Assignment.held_out`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.feedback import distinctive_lines, hidden_code, hidden_material
from autograder.course import Course

INSTRUCTOR_NAMES = frozenset({"autograder", "source", "submitted", "autograded", "feedback", "outcomes", "attempts",
                              "exports", "reports", "gradebook.db", "nbgrader_config.py", "tests", "benchmarks"})
MARKERS = {
    "solution": re.compile(r"BEGIN SOLUTION|END SOLUTION"),
    "mark scheme": re.compile(r"BEGIN MARK SCHEME|END MARK SCHEME"),
    "hidden test": re.compile(r"BEGIN HIDDEN TESTS|END HIDDEN TESTS|\brun_in_kernel\(|^\s*(from|import)\s+autograder\b",
                              re.MULTILINE),
}
SOLUTION_BLOCK = re.compile(r"^[ \t]*#+[ \t]*BEGIN SOLUTION.*?^[ \t]*#+[ \t]*END SOLUTION[^\n]*\n?", re.MULTILINE | re.DOTALL)
MARK_SCHEME_BLOCK = re.compile(r"=+\s*BEGIN MARK SCHEME\s*=+(.*?)=+\s*END MARK SCHEME\s*=+", re.DOTALL)
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
RUN = 4  # consecutive loss values that identify a bank curve
TEXT_MIMES = ("text/plain", "text/html", "text/markdown", "application/json")
PUBLIC_LINES = Path(__file__).resolve().parent / "public_lines.txt"


@dataclass(frozen=True)
class Leak:
    path: str  # relative to the scanned folder
    kind: str
    evidence: str

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}: {self.evidence[:100]}"


@dataclass
class Secrets:
    """The instructor material of one course, as the detectors look for it."""

    lines: dict[str, str]  # distinctive line -> kind
    answer_key: dict[str, str]  # figure -> label
    curve_ids: set[str]
    curve_runs: set[tuple[float, ...]]


def _notebook_text(data: str) -> str:
    """Cell sources and text outputs of a notebook, one after another (images left out)."""
    nb = nbformat.reads(data, as_version=4)
    parts: list[str] = []
    for cell in nb.cells:
        parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts.append("".join(output.get("text", "")))
            parts.append("\n".join(output.get("traceback", [])))
            for mime in TEXT_MIMES:
                value = output.get("data", {}).get(mime)
                if value is not None:
                    parts.append(value if isinstance(value, str) else str(value))
    return "\n".join(parts)


def file_text(path: Path) -> str | None:
    """What a student could read in ``path``; None for a binary file."""
    data = path.read_bytes()
    if b"\0" in data:
        return None
    text = data.decode("utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            return _notebook_text(text)
        except Exception:  # not a valid notebook: scan it as plain text
            return text
    return text


def _public_text(course: Course, assignment: str) -> str:
    """The release notebooks' cell sources: what students are meant to see."""
    release = course.path("release", ".", assignment)
    return "\n".join(c.source for p in sorted(release.glob("*.ipynb")) for c in nbformat.read(p, as_version=4).cells)


def _source_blocks(course: Course, assignment: str) -> tuple[set[str], set[str]]:
    """(solution lines, mark scheme lines) of ``source/<assignment>/*.ipynb``."""
    solutions: set[str] = set()
    schemes: set[str] = set()
    for path in sorted(course.path("source", ".", assignment).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for block in SOLUTION_BLOCK.findall(cell.source):
                solutions |= distinctive_lines(block)
            for block in MARK_SCHEME_BLOCK.findall(cell.source):
                schemes |= distinctive_lines(block)
    return solutions, schemes


def reviewed_public_lines() -> set[str]:
    """Generic lines instructor material shares with the student material (:data:`PUBLIC_LINES`)."""
    text = PUBLIC_LINES.read_text(encoding="utf-8")
    return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("# ")}


def _runs(values: list) -> set[tuple[float, ...]]:
    finite = [float(v) if not isinstance(v, str) else None for v in values]
    return {tuple(finite[i:i + RUN]) for i in range(len(finite) - RUN + 1) if None not in finite[i:i + RUN]}


def course_secrets(course: Course) -> Secrets:
    """Everything :func:`scan` looks for, read from ``source/``, the instructor-only code and
    every assignment's held-out data (:attr:`autograder.assignments.Assignment.held_out`)."""
    from autograder import assignments

    names = course.source_assignments()
    public_text = "\n".join(_public_text(course, a) for a in names)
    public = {line.strip() for line in public_text.splitlines()} | reviewed_public_lines()
    lines: dict[str, str] = {}
    for assignment in names:
        for line in hidden_material(course, assignment, public_text) - public:
            lines.setdefault(line, "hidden test")
    check_lines: set[str] = set()
    for path in hidden_code(course):
        check_lines |= distinctive_lines(path.read_text(encoding="utf-8", errors="replace"))
    for line in check_lines & lines.keys():  # hidden_material holds both kinds
        lines[line] = "check module"
    for assignment in names:
        solutions, schemes = _source_blocks(course, assignment)
        lines.update(dict.fromkeys(solutions - public, "solution"))
        lines.update(dict.fromkeys(schemes - public, "mark scheme"))
    answer_key: dict[str, str] = {}
    ids: set[str] = set()
    runs: set[tuple[float, ...]] = set()
    for name in assignments.names():
        held = assignments.get(name).held_out
        if held is None:
            continue
        data = held()
        public_runs = set().union(set(), *(_runs(series) for series in data.public_series))
        runs |= set().union(set(), *(_runs(series) for series in data.series)) - public_runs
        answer_key.update(data.answer_key)
        ids |= data.ids
    return Secrets(lines, answer_key, ids, runs)


def scan_text(rel: str, text: str, secrets: Secrets) -> list[Leak]:
    """Findings in one file's text (``rel`` names it in the findings)."""
    found: list[Leak] = []
    for kind, pattern in MARKERS.items():
        if match := pattern.search(text):
            found.append(Leak(rel, kind, match.group(0).strip()))
    for line in {line.strip() for line in text.splitlines()} & secrets.lines.keys():
        found.append(Leak(rel, secrets.lines[line], line))
    for figure, label in secrets.answer_key.items():
        if match := re.search(rf"{re.escape(figure)}\W{{1,8}}{re.escape(label)}\b", text):
            found.append(Leak(rel, "reference value", match.group(0)))
    for curve_id in secrets.curve_ids:
        if curve_id in text:
            found.append(Leak(rel, "bank curve", curve_id))
    numbers = [float(n) for n in NUMBER.findall(text)]
    for i in range(len(numbers) - RUN + 1):
        if tuple(numbers[i:i + RUN]) in secrets.curve_runs:
            found.append(Leak(rel, "bank curve", ", ".join(f"{x:g}" for x in numbers[i:i + RUN])))
            break
    return found


def scan(folder: Path, course: Course, secrets: Secrets | None = None) -> list[Leak]:
    """Every finding under ``folder`` (its ``.git`` excluded), sorted by path."""
    folder = Path(folder)
    secrets = secrets or course_secrets(course)
    found: list[Leak] = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if rel.parts[0] == ".git":
            continue
        if rel.name in INSTRUCTOR_NAMES or rel.name.endswith(".db"):  # reported once, not per file inside
            found.append(Leak(str(rel), "instructor path", rel.name))
        if path.is_symlink():  # it could point anywhere on the instructor's machine
            found.append(Leak(str(rel), "instructor path", f"symlink to {path.readlink()}"))
        if path.is_file() and not path.is_symlink() and (text := file_text(path)) is not None:
            found.extend(scan_text(str(rel), text, secrets))
    return found
