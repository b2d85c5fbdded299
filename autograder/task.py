"""The per-submission task: validate, score (authoritative), execute for feedback.

The pipeline maps :func:`grade_one` over submissions, in a local process pool or on Dask
workers; each process keeps one warm :class:`Grader` (one sandbox forkserver per course
root), so torch is imported once per process, never per submission. The task only reads
the course and writes ``autograded/<student>/<assignment>/<assignment>.ipynb``; the
gradebook is written by the coordinating process from the returned outcome.

For every submission exactly one :class:`~autograder.outcome.Outcome` comes back; a bad
submission never raises:

1. :mod:`autograder.validate` — is it a notebook of this assignment; tampering flags.
2. :mod:`autograder.scorer` — the sealed scores (student code only in the sandbox).
3. the notebook, with every locked/test cell restored from the release (so WITHOUT
   hidden tests) and the student's answer cells, is executed in the sandbox for people:
   outputs, plots, visible-test results. A visible test that passed in the kernel while
   the scorer found its basic cases wrong, or that did not run, is flagged.

Static outputs (tag ``static-output``)
--------------------------------------
Drawing read-only figures of the released data (ps2's practice curves) costs the same for
every submission. The author may tag such a cell ``static-output`` in ``source/``; the tag
counts only on a *locked*, non-graded code cell of the TRUSTED release notebook (a locked
cell that is neither a test, an answer, a task nor the ``setup`` cell). Per course root and
assignment, :meth:`Grader.static_outputs` executes the release notebook once in the sandbox
(up to its last tagged cell) and keeps the outputs of the tagged cells that ran without
error; the cache is rebuilt when the release (or the gradebook, or a released data file)
changes, like :meth:`Grader.trusted`. Each submission's feedback run then executes the
normalized notebook with those cells' sources replaced by ``pass`` (same cells, same order,
same execution counts, no cost), and splices the cached outputs and the release sources back
into them. A tagged cell whose release run errored (or did not run) is executed normally.

Rule for authors: a tagged cell must depend on nothing an answer cell (or any cell a student
can edit) defines, and must define nothing a later cell needs — in the feedback run it does
not run at all (ps2's figure cells only draw ``FIGURES``/``PRACTICE_CURVES`` from the setup
and loader cells). Tags in a submission are never believed: the set of tagged cells comes
from the release alone, :func:`~autograder.validate.restore_locked_cells` puts every locked
cell back from the release, and a student's own cell, answer or test cell is matched by
its grade id against the release's tagged locked cells, so a tag there changes nothing.
"""
from __future__ import annotations

import atexit
import copy
import datetime as _dt
import hashlib
import os
import re
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from autograder.checks import ASSIGNMENTS, load_checks
from autograder.gradebook import Course, sqlite_path
from autograder.outcome import Outcome
from autograder.store import atomic_write_text
from autograder.scorer import UNAVAILABLE_PREFIX, score_report
from autograder.validate import (
    TrustedMismatch,
    TrustedNotebook,
    read_gradebook,
    restore_locked_cells,
    trusted_notebook,
    validate_submission,
)

_NAME = re.compile(r"^[A-Za-z0-9_@+\-][A-Za-z0-9_.@+\-]{0,127}$")
CELL_TIMEOUT = 60.0
TOTAL_TIMEOUT = 300.0
#: Tag (on a locked, non-graded release cell) for "render once per grading process".
STATIC_OUTPUT_TAG = "static-output"
#: What a static-output cell runs in a submission's feedback run (a no-op that still
#: takes an execution count, so later cells are numbered as in a normal run).
STATIC_PLACEHOLDER = "pass"


def failure_reason(unavailable: str) -> str:
    """Map a sandbox StudentUnavailable reason onto outcome.FAILURE_REASONS."""
    text = unavailable.lower()
    if "timeout" in text or "time limit" in text:
        return "timeout"
    if "memory" in text:
        return "memory"
    if any(word in text for word in ("crash", "died", "exit", "signal", "output")):
        return "kernel_died"
    return "crash"


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")




class Grader:
    """Grades submissions with one warm sandbox per course root; a context manager.

    ``sandbox_factory(course_root, limits)`` defaults to :class:`autograder.sandbox.Sandbox`.
    ``execute=False`` skips the feedback run (scores only).
    """

    def __init__(
        self,
        limits: Any = None,
        *,
        execute: bool = True,
        cell_timeout: float = CELL_TIMEOUT,
        total_timeout: float = TOTAL_TIMEOUT,
        sandbox_factory: Any = None,
    ) -> None:
        self.limits = limits
        self.execute = execute
        self.cell_timeout = cell_timeout
        self.total_timeout = total_timeout
        self._courses: dict[str, Course] = {}
        self._factory = sandbox_factory
        self._sandboxes: dict[str, Any] = {}
        self._trusted: dict[tuple[str, str], tuple[tuple[int, int, int], TrustedNotebook]] = {}
        # (root, assignment) -> (digest of the release notebook and its data files, outputs by grade id)
        self._static: dict[tuple[str, str], tuple[str, dict[str, list]]] = {}
        self.static_runs = 0  # release executions for static outputs (one per release version)
        self._lock = threading.Lock()
        self._warm: set[str] = set()

    # ------------------------------------------------------------------ resources
    def course(self, course_root: str | os.PathLike[str]) -> Course:
        """nbgrader's view of the course (folder names, gradebook URL), read once."""
        root = str(Path(course_root).resolve())
        if root not in self._courses:
            self._courses[root] = Course(Path(root))
        return self._courses[root]

    def sandbox(self, course_root: str | os.PathLike[str]) -> Any:
        root = str(Path(course_root).resolve())
        if root not in self._sandboxes:
            if self._factory is not None:
                factory = self._factory
                self._sandboxes[root] = factory(root, self.limits) if self.limits is not None else factory(root)
            else:
                from autograder.sandbox import Limits, Sandbox

                self._sandboxes[root] = Sandbox(
                    root, self.limits or Limits(), hide=self.course(root).private_paths()
                )
        return self._sandboxes[root]

    def warm(self, assignment: str) -> None:
        """Import what the checks need on the trusted side (torch, the check module) BEFORE a
        worker starts: a worker's wall-clock budget runs while the scorer works too."""
        if assignment in self._warm:
            return
        import importlib

        # lrlab first: importing it pins PyTorch's CPU numerics before anything computes.
        # torch._dynamo: what the first torch.optim optimizer costs (~5 s) in the references.
        for name in ("lrlab", "torch", "torch.optim.lr_scheduler", "torch._dynamo", "numpy"):
            try:
                importlib.import_module(name)
            except ImportError:
                pass
        load_checks(assignment)
        self._warm.add(assignment)

    def trusted(self, course_root: str | os.PathLike[str], assignment: str) -> TrustedNotebook:
        """The release notebook (cross-checked with the gradebook), cached until it changes."""
        root = Path(course_root).resolve()
        course = self.course(root)
        path = course.path("release", ".", assignment) / f"{assignment}.ipynb"
        db_url = course.db_url
        st = path.stat()
        db_path = sqlite_path(db_url)
        db_mtime = db_path.stat().st_mtime_ns if db_path is not None and db_path.exists() else 0
        key = (str(root), assignment)
        stamp = (st.st_mtime_ns, st.st_size, db_mtime)
        cached = self._trusted.get(key)
        if cached and cached[0] == stamp:
            return cached[1]
        nb = nbformat.read(path, as_version=4)
        gradebook = read_gradebook(db_url, assignment, assignment)
        trusted = trusted_notebook(assignment, nb, gradebook)
        self._trusted[key] = (stamp, trusted)
        return trusted

    def static_outputs(
        self,
        course_root: str | os.PathLike[str],
        assignment: str,
        trusted: TrustedNotebook,
        sandbox: Any,
        files: dict[str, str],
    ) -> dict[str, list]:
        """Outputs of the release's ``static-output`` cells, by grade id, from ONE sandboxed run
        of the release notebook (cached until the release, gradebook or data files change).
        Cells whose release run errored or did not run are left out (executed normally)."""
        tagged = static_cells(trusted)
        if not tagged:
            return {}
        key = (str(Path(course_root).resolve()), assignment)
        # Keyed on what the run depends on: the release notebook and its data files. (Not on
        # the TrustedNotebook object, which is rebuilt whenever the gradebook is written.)
        release = nbformat.writes(trusted.notebook) + repr(sorted(files.items()))
        digest = hashlib.sha256(release.encode("utf-8", "surrogatepass")).hexdigest()
        cached = self._static.get(key)
        if cached and cached[0] == digest:
            return cached[1]
        nb = copy.deepcopy(trusted.notebook)
        nb.cells = nb.cells[: max(trusted.cells[g].index for g in tagged) + 1]
        self.static_runs += 1
        outputs: dict[str, list] = {}
        try:
            result = sandbox.execute_notebook(nb, self.cell_timeout, self.total_timeout, files=files)
        except Exception:  # noqa: BLE001 - no cache: every submission runs the cells itself
            result = None
        executed = getattr(result, "notebook", None)
        if executed is not None and len(executed.cells) == len(nb.cells):
            errors = list(getattr(result, "cell_errors", None) or [])
            for grade_id in tagged:
                index = trusted.cells[grade_id].index
                cell = executed.cells[index]
                if cell.get("execution_count") is None or (index < len(errors) and errors[index]):
                    continue
                if index == getattr(result, "stopped_at", None):
                    continue
                if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                    continue
                outputs[grade_id] = copy.deepcopy(list(cell.outputs))
        self._static[key] = (digest, outputs)
        return outputs

    def close(self) -> None:
        for sandbox in self._sandboxes.values():
            try:
                sandbox.close()
            except Exception:
                pass
        self._sandboxes.clear()

    def __enter__(self) -> "Grader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ grading
    def grade(self, course_root: str | os.PathLike[str], assignment: str, student: str) -> Outcome:
        """Exactly one outcome for ``submitted/<student>/<assignment>/``; never raises for a bad
        submission (grader bugs become status failed, reason "crash")."""
        with self._lock:
            return self._grade(Path(course_root), assignment, student)

    def _grade(self, root: Path, assignment: str, student: str) -> Outcome:
        start = time.perf_counter()
        outcome = Outcome(assignment=assignment, student=student, status="failed", graded_at=_now())
        seconds = outcome.seconds

        def fail(reason: str, detail: str) -> Outcome:
            outcome.status, outcome.reason, outcome.detail = "failed", reason, detail
            seconds["total"] = round(time.perf_counter() - start, 3)
            return outcome

        if assignment not in ASSIGNMENTS:
            return fail("wrong_assignment", f"Unknown assignment {assignment[:60]!r}.")
        if not _NAME.match(student):
            return fail("not_a_notebook", "Invalid student id.")
        try:
            try:
                trusted = self.trusted(root, assignment)
            except (OSError, TrustedMismatch, ValueError) as err:
                outcome.flags.append(f"grader setup: {str(err)[:300]}")
                return fail("crash", "The grader could not load this assignment; your instructor has been notified.")

            t = time.perf_counter()
            course = self.course(root)
            validation = validate_submission(course.path("submitted", student, assignment), trusted)
            seconds["validate"] = round(time.perf_counter() - t, 3)
            outcome.submission_hash = validation.sha256
            outcome.flags.extend(validation.flags)
            if not validation.ok:
                return fail(validation.reason or "invalid_notebook", validation.detail)
            normalized = restore_locked_cells(trusted, validation.notebook)

            sandbox = self.sandbox(root)
            self.warm(assignment)
            outcome.isolation = _isolation(sandbox)
            report = score_report(assignment, trusted.notebook, normalized, student, sandbox)
            seconds["score"] = round(report.seconds, 3)
            outcome.checks = report.checks
            outcome.flags.extend(report.flags)

            if report.all_unavailable:
                reason = failure_reason(report.unavailable[0])
                outcome.detail = _FAILED_TEXT.get(reason, "Your code could not be run.")
                outcome.status, outcome.reason = "failed", reason
            else:
                outcome.status = "graded"

            if self.execute and not report.all_unavailable:
                t = time.perf_counter()
                self._execute(root, assignment, student, trusted, normalized, sandbox, outcome)
                seconds["execute"] = round(time.perf_counter() - t, 3)
        except Exception as err:  # a grader bug must not stop the batch nor hide as a zero
            outcome.flags.append(f"grader error: {type(err).__name__}: {str(err)[:300]}")
            return fail("crash", "The grader failed on this submission; your instructor has been notified.")
        seconds["total"] = round(time.perf_counter() - start, 3)
        return outcome

    def _execute(
        self,
        root: Path,
        assignment: str,
        student: str,
        trusted: TrustedNotebook,
        normalized: NotebookNode,
        sandbox: Any,
        outcome: Outcome,
    ) -> None:
        course = self.course(root)
        files = release_files(course.path("release", ".", assignment))
        static = self.static_outputs(root, assignment, trusted, sandbox, files)
        to_run, spliced = blank_static_cells(normalized, static)
        result = sandbox.execute_notebook(to_run, self.cell_timeout, self.total_timeout, files=files)
        executed = getattr(result, "notebook", None)
        if executed is not None and spliced:
            splice_static_outputs(executed, normalized, spliced, static, getattr(result, "cell_errors", None))
        status = str(getattr(result, "status", ""))
        seconds_note = f"{status}: {str(getattr(result, 'message', ''))[:120]}" if status != "ok" else "ok"
        if executed is None:
            outcome.flags.append(f"feedback run produced no notebook ({seconds_note})")
            return
        target = course.path("autograded", student, assignment) / f"{assignment}.ipynb"
        atomic_write_text(target, nbformat.writes(executed), group_shared=course.group_shared)
        stamp = course.path("submitted", student, assignment) / "timestamp.txt"
        if stamp.is_file() and not stamp.is_symlink() and stamp.stat().st_size < 200:
            atomic_write_text(target.parent / "timestamp.txt", stamp.read_text(errors="replace"),
                              group_shared=course.group_shared)
        ran = kernel_results(executed, trusted, getattr(result, "cell_errors", None))
        for check in outcome.checks:
            if check.grade_id not in ran:
                continue
            check.kernel_passed = ran[check.grade_id]
            if check.kernel_passed is None:
                outcome.flags.append(f"visible test {check.grade_id} did not run in the kernel ({seconds_note})")
            elif check.kernel_passed and not check.basics_ok and not check.message.startswith(UNAVAILABLE_PREFIX):
                outcome.flags.append(
                    f"{check.grade_id} passed in the kernel but failed in the scorer (suspected tampering)"
                )


def static_cells(trusted: TrustedNotebook) -> list[str]:
    """Grade ids of the release's ``static-output`` cells: locked, non-graded code cells only
    (never an answer, test, manual or task cell, nor the ``setup`` cell); tags from the release."""
    return [
        grade_id
        for grade_id, cell in trusted.cells.items()
        if cell.kind == "locked"
        and cell.cell_type == "code"
        and STATIC_OUTPUT_TAG in cell.tags
        and "setup" not in cell.tags
        and not cell.nbgrader.get("grade")
        and not cell.nbgrader.get("solution")
    ]


def _grade_id(cell: NotebookNode) -> Any:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta.get("grade_id") if isinstance(meta, dict) else None


def blank_static_cells(normalized: NotebookNode, static: dict[str, list]) -> tuple[NotebookNode, dict[int, str]]:
    """A copy of the normalized notebook with each cached static cell's source replaced by
    :data:`STATIC_PLACEHOLDER`, and {cell index: grade id} of those cells. Cells are matched by
    the grade id of the normalized notebook, whose graded cells all come from the release."""
    if not static:
        return normalized, {}
    out = copy.deepcopy(normalized)
    spliced: dict[int, str] = {}
    for index, cell in enumerate(out.cells):
        grade_id = _grade_id(cell)
        if cell.get("cell_type") == "code" and grade_id in static and grade_id not in spliced.values():
            cell.source = STATIC_PLACEHOLDER
            spliced[index] = grade_id
    return out, spliced


def splice_static_outputs(
    executed: NotebookNode,
    normalized: NotebookNode,
    spliced: dict[int, str],
    static: dict[str, list],
    cell_errors: list[bool] | None = None,
) -> None:
    """Put the release sources back into the blanked cells and, where the run reached them
    without error, the cached outputs (execute_result counts renumbered to the cell's)."""
    for index, grade_id in spliced.items():
        if index >= len(executed.cells):
            continue
        cell = executed.cells[index]
        cell.source = normalized.cells[index].source
        count = cell.get("execution_count")
        if count is None or (cell_errors is not None and index < len(cell_errors) and cell_errors[index]):
            continue  # not reached, or the run ended in it: keep what the run said
        outputs = copy.deepcopy(static[grade_id])
        for output in outputs:
            if output.get("output_type") == "execute_result":
                output["execution_count"] = count
        cell.outputs = outputs


def release_files(folder: Path, max_bytes: int = 8 * 2**20) -> dict[str, str]:
    """The data files a release folder ships beside the notebook (text only), for the kernel's cwd."""
    files: dict[str, str] = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.suffix == ".ipynb" or not path.is_file() or path.is_symlink() or path.stat().st_size > max_bytes:
            continue
        try:
            files[path.name] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
    return files


def kernel_results(
    executed: NotebookNode, trusted: TrustedNotebook, cell_errors: list[bool] | None = None
) -> dict[str, bool | None]:
    """Per visible test cell: True ran without error, False raised, None did not run."""
    out: dict[str, bool | None] = {g: None for g in trusted.test_ids}
    for index, cell in enumerate(executed.cells):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id not in out or cell.get("cell_type") != "code" or out[grade_id] is not None:
            continue
        if cell.get("execution_count") is None:
            continue
        raised = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        if cell_errors is not None and index < len(cell_errors):
            raised = raised or bool(cell_errors[index])
        out[grade_id] = not raised
    return out


_FAILED_TEXT = {
    "timeout": "Your notebook ran longer than the time limit, so it could not be graded.",
    "memory": "Your notebook used more memory than allowed, so it could not be graded.",
    "kernel_died": "Your code stopped the Python process (crash, exit or too much output), so it could not be graded.",
    "crash": "Your notebook could not be run, so it could not be graded.",
}


def _isolation(sandbox: Any) -> str:
    iso = getattr(sandbox, "isolation", None)
    level = getattr(iso, "level", iso)
    return str(level) if level is not None else ""


# ---------------------------------------------------------------------- process-global task

_GLOBAL: Grader | None = None
_GLOBAL_LOCK = threading.Lock()


def _global_grader() -> Grader:
    global _GLOBAL
    with _GLOBAL_LOCK:
        if _GLOBAL is None:
            _GLOBAL = Grader()
            atexit.register(_GLOBAL.close)
        return _GLOBAL


def grade_one(course_root: str, assignment: str, student: str) -> dict:
    """The JSON-able outcome of one submission (for a process pool or Dask)."""
    try:
        outcome = _global_grader().grade(course_root, assignment, student)
    except Exception as err:  # e.g. the sandbox could not start at all
        outcome = Outcome(
            assignment=assignment,
            student=student,
            status="failed",
            reason="crash",
            detail="The grader failed on this submission; your instructor has been notified.",
            flags=[f"grader error: {type(err).__name__}: {str(err)[:300]}"],
            graded_at=_now(),
        )
    return asdict(outcome)
