"""Is this submission a notebook of this assignment, and was anything the student must not
change tampered with?  Trusted code: it only reads files and compares data, it never
executes anything from a submission.

The reference is the *trusted* notebook (the release, which is what every student started
from), optionally cross-checked against nbgrader's gradebook (``SourceCell``/``GradeCell``
rows written by ``generate_assignment``). Tampering with cells does not change a score by
itself — the sealed scorer takes only the answer cells, and the kernel run restores every
locked cell from the release — but it is recorded as a flag (suspected tampering) so the
instructor sees it.

Checksums are nbgrader's own :func:`nbgrader.utils.compute_checksum` (MD5 over source, cell
type, grade/solution/locked flags, grade id and points), computed here on both sides: the
``checksum`` a submission carries in its metadata is never believed.

Note on the gradebook: ``generate_assignment`` saves source cells *before* it clears hidden
tests, so for a test cell with hidden tests the gradebook checksum is that of the source
version; only cells without hidden material have equal release and gradebook checksums.
The release file is therefore the reference for sources, the gradebook for the set of cells,
their types, locks, points and the kernelspec.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
import warnings
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.utils import compute_checksum, is_grade, is_locked, is_solution, is_task

from autograder.cells import cell_tags, nbgrader_meta
from autograder.course import sqlite_path
from autograder.reasons import Reason

MAX_NOTEBOOK_BYTES = 20 * 2**20
# Tags that change how nbclient/nbgrader execute or score a cell.
EXECUTION_TAGS = frozenset({"skip-execution", "raises-exception"})
NBGRADER_KEYS = ("grade", "solution", "locked", "task", "grade_id", "points")


class TrustedMismatch(ValueError):
    """The release notebook disagrees with the gradebook (instructor-side problem)."""


@dataclass(frozen=True)
class TrustedCell:
    index: int
    grade_id: str
    cell_type: str
    kind: str  # "answer" | "test" | "locked" | "manual" | "task"
    nbgrader: Mapping[str, Any]
    checksum: str
    tags: tuple[str, ...]
    source: str


@dataclass
class TrustedNotebook:
    """What a submission of one assignment must look like (built once per assignment)."""

    assignment: str
    notebook: NotebookNode
    cells: dict[str, TrustedCell]
    kernelspec: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    @property
    def answer_ids(self) -> list[str]:
        return [g for g, c in self.cells.items() if c.kind == "answer"]

    @property
    def test_ids(self) -> list[str]:
        return [g for g, c in self.cells.items() if c.kind == "test"]


@dataclass
class GradebookCell:
    cell_type: str
    locked: bool
    checksum: str | None
    max_score: float | None = None  # grade cells only
    solution: bool = False


@dataclass
class GradebookNotebook:
    cells: dict[str, GradebookCell]
    kernelspec: dict[str, Any] | None


@dataclass
class Validation:
    """The verdict on one submitted file.

    ``reason`` is None when the notebook can be scored, else why not;
    ``detail`` is student-safe; ``flags`` are suspected tampering (instructor-facing).
    """

    reason: Reason | None
    detail: str = ""
    notebook: NotebookNode | None = None
    path: Path | None = None
    sha256: str = ""
    flags: list[str] = field(default_factory=list)
    missing_answers: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.reason is None


# --------------------------------------------------------------------------- trusted side


def _kind(cell: NotebookNode) -> str | None:
    if "nbgrader" not in cell.get("metadata", {}):
        return None
    if is_task(cell):
        return "task"
    grade, solution = bool(is_grade(cell)), bool(is_solution(cell))
    if solution and grade:
        return "manual"
    if solution:
        return "answer"
    if grade:
        return "test"
    if is_locked(cell):
        return "locked"
    return None


def _safe_checksum(cell: NotebookNode) -> str:
    try:
        return compute_checksum(cell)
    except (KeyError, TypeError, ValueError, AttributeError):
        return "<uncomputable>"


def trusted_notebook(
    assignment: str, notebook: NotebookNode, gradebook: GradebookNotebook | None = None
) -> TrustedNotebook:
    """Index the release notebook; cross-check it with the gradebook when given.

    Raises :class:`TrustedMismatch` when the release's nbgrader metadata is invalid (nbgrader's
    own ``CheckCellMetadata`` check: schema, grade ids, points, duplicates) or the release and
    the gradebook disagree on which cells exist, their types, locks, points or the kernelspec
    (regenerate the release). Submissions are NOT held to that check: nbgrader would reject
    a whole notebook for a duplicated or id-less graded cell, where :func:`inspect_cells`
    flags it and every answer is still scored.
    """
    try:
        MetadataValidator().validate_nb(notebook)
    except ValidationError as err:
        raise TrustedMismatch(f"release/{assignment} has invalid nbgrader metadata: {err}") from None
    cells: dict[str, TrustedCell] = {}
    notes: list[str] = []
    for index, cell in enumerate(notebook.cells):
        kind = _kind(cell)
        if kind is None:
            continue
        meta = cell.metadata.nbgrader
        grade_id = meta.get("grade_id")
        if not grade_id:
            raise TrustedMismatch(f"release cell {index} has nbgrader metadata but no grade_id")
        if grade_id in cells:
            raise TrustedMismatch(f"release has grade id {grade_id!r} twice")
        checksum = _safe_checksum(cell)
        stored = meta.get("checksum")
        if kind in ("test", "locked") and stored and stored != checksum:
            notes.append(f"release cell {grade_id!r}: stored checksum differs from its content")
        cells[grade_id] = TrustedCell(
            index=index,
            grade_id=grade_id,
            cell_type=cell.cell_type,
            kind=kind,
            nbgrader={k: meta[k] for k in NBGRADER_KEYS if k in meta},
            checksum=checksum,
            tags=cell_tags(cell),
            source=cell.source,
        )
    kernelspec = dict(notebook.metadata.get("kernelspec", {}))
    if gradebook is not None:
        problems: list[str] = []
        db_ids = set(gradebook.cells)
        for grade_id in sorted(set(cells) ^ db_ids):
            where = "release" if grade_id in cells else "gradebook"
            problems.append(f"cell {grade_id!r} only in the {where}")
        for grade_id in sorted(set(cells) & db_ids):
            mine, theirs = cells[grade_id], gradebook.cells[grade_id]
            if mine.cell_type != theirs.cell_type:
                problems.append(f"cell {grade_id!r}: type {mine.cell_type} vs {theirs.cell_type}")
            if bool(is_locked(_as_cell(mine))) != bool(theirs.locked):
                problems.append(f"cell {grade_id!r}: locked differs")
            if theirs.max_score is not None and float(mine.nbgrader.get("points", -1)) != float(theirs.max_score):
                problems.append(f"cell {grade_id!r}: points {mine.nbgrader.get('points')} vs {theirs.max_score}")
            if mine.kind == "locked" and theirs.checksum and theirs.checksum != mine.checksum:
                problems.append(f"locked cell {grade_id!r}: content differs from the gradebook")
        if gradebook.kernelspec and kernelspec and gradebook.kernelspec.get("name") != kernelspec.get("name"):
            problems.append("kernelspec differs")
        if problems:
            raise TrustedMismatch(
                f"release/{assignment} does not match the gradebook ({'; '.join(problems)}); regenerate the release"
            )
    return TrustedNotebook(assignment, notebook, cells, kernelspec, notes)


def _as_cell(trusted: TrustedCell) -> NotebookNode:
    return nbformat.from_dict(
        {"cell_type": trusted.cell_type, "metadata": {"nbgrader": dict(trusted.nbgrader)}, "source": trusted.source}
    )


def read_gradebook(db_url: str, assignment: str, notebook: str) -> GradebookNotebook | None:
    """The gradebook's record of one notebook, read-only (None when not in the gradebook).

    Uses nbgrader's ORM models on a plain engine: unlike ``nbgrader.api.Gradebook`` it
    never creates tables or courses, so it is safe to call from many worker processes.
    A SQLite file that does not exist yields None (nothing is created).
    """
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from nbgrader.api import Assignment, Notebook

    db_file = sqlite_path(db_url)
    if db_file is not None:
        if not db_file.is_file():
            return None
        db_url = f"sqlite:///file:{db_file}?mode=ro&uri=true"
    engine = create_engine(db_url, future=True)
    try:
        with Session(engine) as session:
            nb = (
                session.query(Notebook)
                .join(Assignment, Notebook.assignment_id == Assignment.id)
                .filter(Assignment.name == assignment, Notebook.name == notebook)
                .one_or_none()
            )
            if nb is None:
                return None
            cells: dict[str, GradebookCell] = {
                c.name: GradebookCell(c.cell_type, bool(c.locked), c.checksum) for c in nb.source_cells
            }
            for gc in nb.grade_cells:
                if gc.name in cells:
                    cells[gc.name].max_score = float(gc.max_score)
            for sc in nb.solution_cells:
                if sc.name in cells:
                    cells[sc.name].solution = True
            kernelspec = json.loads(nb.kernelspec) if nb.kernelspec else None
            return GradebookNotebook(cells, kernelspec)
    except SQLAlchemyError:  # no such tables: not a gradebook (yet)
        return None
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- submitted side


def find_submission(submitted_dir: Path, assignment: str) -> tuple[Path | None, list[str], str]:
    """(notebook path or None, flags, detail) inside ``submitted/<student>/<assignment>/``.

    The expected file is ``<assignment>.ipynb``; a single notebook under another name is
    accepted with a flag. Symlinks and non-regular files are refused (a link could point
    at the gradebook or ``source/``).
    """
    flags: list[str] = []
    if not submitted_dir.is_dir():
        return None, flags, "No submission folder was found."
    expected = submitted_dir / f"{assignment}.ipynb"
    if os.path.lexists(expected):
        path = expected
    else:
        notebooks = sorted(p for p in submitted_dir.iterdir() if p.name.endswith(".ipynb"))
        if len(notebooks) != 1:
            names = ", ".join(p.name for p in sorted(submitted_dir.iterdir()))[:300] or "nothing"
            return None, flags, f"Expected {assignment}.ipynb in the submission; found: {names}."
        path = notebooks[0]
        flags.append(f"notebook submitted as {path.name!r} instead of {assignment}.ipynb")
    mode = os.lstat(path).st_mode
    if not stat.S_ISREG(mode):
        flags.append(f"{path.name} is a symlink or special file (refused, never read)")
        return None, flags, f"{path.name} is not a regular file."
    return path, flags, ""


def read_submission(path: Path, max_bytes: int = MAX_NOTEBOOK_BYTES) -> tuple[bytes | None, Reason | None, str]:
    """(the file's bytes, None, "") without following a symlink, or (None, reason, student-safe detail)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        return None, Reason.NOT_A_NOTEBOOK, f"The submitted file could not be opened ({err.strerror})."
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None, Reason.NOT_A_NOTEBOOK, "The submitted file is not a regular file."
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        return None, Reason.INVALID_NOTEBOOK, f"The submitted notebook is larger than {max_bytes // 2**20} MB."
    return data, None, ""


def parse_notebook(data: bytes) -> tuple[NotebookNode | None, Reason | None, str]:
    """(notebook, failure reason, detail) from raw bytes."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, Reason.NOT_A_NOTEBOOK, "The submitted file is not text (UTF-8), so it is not a notebook."
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as err:
        where = f" (line {err.lineno}, column {err.colno})" if isinstance(err, json.JSONDecodeError) else ""
        return None, Reason.NOT_A_NOTEBOOK, f"The submitted file is not valid JSON{where}, so it is not a notebook."
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list) or "nbformat" not in raw:
        return None, Reason.INVALID_NOTEBOOK, "The submitted JSON is not a Jupyter notebook (no cells/nbformat)."
    if raw.get("nbformat") != 4:
        return None, Reason.INVALID_NOTEBOOK, f"Unsupported notebook format version {raw.get('nbformat')!r} (expected 4)."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. MissingIDFieldWarning: ids are added
            nb = nbformat.reads(text, as_version=4)
            nbformat.validate(nb, version=4)
    except Exception as err:  # nbformat.ValidationError and schema oddities alike
        message = str(getattr(err, "message", err)).splitlines()[0][:200]
        return None, Reason.INVALID_NOTEBOOK, f"The notebook does not follow the notebook format: {message}"
    return nb, None, ""


def inspect_cells(trusted: TrustedNotebook, nb: NotebookNode) -> Validation:
    """Compare a parsed submission with the trusted notebook; never fails on tampering
    (scoring ignores everything but the answer cells), only when nothing can be scored."""
    flags: list[str] = []
    seen: Counter[str] = Counter()
    found: dict[str, NotebookNode] = {}
    foreign: list[str] = []
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        grade_id = meta.get("grade_id")
        if not isinstance(grade_id, str) or not grade_id:
            if meta and (meta.get("grade") or meta.get("solution") or meta.get("locked")):
                flags.append("a graded cell has no grade id")
            continue
        seen[grade_id] += 1
        if grade_id not in trusted.cells:
            foreign.append(grade_id)
            continue
        found.setdefault(grade_id, cell)
    graded = [g for g, c in trusted.cells.items() if c.kind in ("answer", "test", "manual")]
    present = [g for g in graded if g in found]
    if not present:
        if foreign:
            return Validation(
                Reason.WRONG_ASSIGNMENT,
                f"This notebook does not belong to {trusted.assignment}: none of its graded cells are present.",
                flags=flags + [f"cells from another notebook: {', '.join(sorted(set(foreign))[:8])}"],
            )
        return Validation(
            Reason.MISSING_CELLS,
            f"None of the graded cells of {trusted.assignment} are in the submitted notebook.",
            flags=flags,
        )
    for grade_id in sorted(set(foreign)):
        flags.append(f"unknown graded cell {grade_id!r} (not in the release)")
    for grade_id, count in sorted(seen.items()):
        if count > 1 and grade_id in trusted.cells:
            flags.append(f"cell {grade_id!r} appears {count} times (duplicated graded cell)")
    missing_answers: list[str] = []
    for grade_id, tcell in trusted.cells.items():
        cell = found.get(grade_id)
        if cell is None:
            if tcell.kind == "answer":
                missing_answers.append(grade_id)
            if tcell.kind in ("answer", "test", "manual", "locked", "task"):
                flags.append(f"{tcell.kind} cell {grade_id!r} was deleted")
            continue
        flags.extend(_compare_cell(tcell, cell))
    if trusted.kernelspec.get("name") and nb.metadata.get("kernelspec", {}).get("name") != trusted.kernelspec.get("name"):
        flags.append(
            f"kernelspec changed to {str(nb.metadata.get('kernelspec', {}).get('name'))[:40]!r} "
            f"(release: {trusted.kernelspec.get('name')!r})"
        )
    return Validation(None, notebook=nb, flags=flags, missing_answers=missing_answers)


def _compare_cell(tcell: TrustedCell, cell: NotebookNode) -> list[str]:
    flags: list[str] = []
    name = f"{tcell.kind} cell {tcell.grade_id!r}"
    if cell.get("cell_type") != tcell.cell_type:
        flags.append(f"{name} re-typed from {tcell.cell_type} to {cell.get('cell_type')}")
    meta = nbgrader_meta(cell)
    changed = [
        k
        for k in NBGRADER_KEYS
        if bool(meta.get(k)) != bool(tcell.nbgrader.get(k))
        or (k == "points" and _num(meta.get(k)) != _num(tcell.nbgrader.get(k)))
    ]
    if changed:
        flags.append(f"{name}: nbgrader metadata changed ({', '.join(changed)})")
    new_tags = sorted(set(cell_tags(cell)) - set(tcell.tags))
    suspicious = [t for t in new_tags if t in EXECUTION_TAGS]
    if suspicious:
        flags.append(f"{name} tagged {', '.join(suspicious)}")
    elif new_tags and tcell.kind in ("test", "locked"):
        flags.append(f"{name}: tags added ({', '.join(t[:30] for t in new_tags[:5])})")
    if tcell.kind in ("test", "locked"):
        if cell.get("source") != tcell.source or _safe_checksum(cell) != tcell.checksum:
            flags.append(f"{name} was modified (checksum mismatch)")
    return flags


def _num(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def validate_file(path: Path, trusted: TrustedNotebook, max_bytes: int = MAX_NOTEBOOK_BYTES) -> Validation:
    """Read, parse and inspect one submitted notebook file."""
    data, reason, problem = read_submission(path, max_bytes)
    if data is None:
        return Validation(reason, problem, path=path)
    digest = hashlib.sha256(data).hexdigest()
    nb, reason, detail = parse_notebook(data)
    if nb is None:
        return Validation(reason, detail, path=path, sha256=digest)
    result = inspect_cells(trusted, nb)
    result.path, result.sha256 = path, digest
    return result


def validate_submission(submitted_dir: Path, trusted: TrustedNotebook) -> Validation:
    """Everything about ``submitted/<student>/<assignment>/`` before any scoring."""
    path, flags, detail = find_submission(submitted_dir, trusted.assignment)
    if path is None:
        return Validation(Reason.NOT_A_NOTEBOOK, detail, flags=flags)
    result = validate_file(path, trusted)
    result.flags[:0] = flags
    return result
