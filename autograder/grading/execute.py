"""Step 4, execute (for feedback): the normalized notebook runs in the sandbox for people.

Not on the path to a score: ``grade`` records the sealed scores first and the notebooks run
in a second pass (``grade --execute``, or ``feedback`` for the submissions that have no
executed notebook yet). The run writes ``autograded/<student>/<assignment>/<assignment>.ipynb``
(outputs, plots, visible-test results) and adds to the outcome what the kernel said of each
visible test: a test that passed in the kernel while the scorer found its basic cases wrong
is flagged as suspected tampering, one that did not run is flagged too.

Static outputs (tag ``static-output``)
--------------------------------------
Drawing read-only figures of the released data (ps2's practice curves) costs the same for
every submission. The author may tag such a cell ``static-output`` in ``source/``; the tag
counts only on a *locked*, non-graded code cell of the TRUSTED release notebook (a locked
cell that is neither a test, an answer, a task nor the ``setup`` cell). Each worker process
executes the release notebook once in the sandbox (up to its last tagged cell), keyed on the
trusted assignment's digest (release notebook and data files), and keeps the outputs of the
tagged cells that ran without error. Each submission's feedback run then executes the
normalized notebook with those cells' sources replaced by ``pass`` (same cells, same order,
same execution counts, no cost), and splices the cached outputs and the release sources back
into them. A tagged cell whose release run errored (or did not run) is executed normally.

Rule for authors: a tagged cell must depend on nothing an answer cell (or any cell a student
can edit) defines, and must define nothing a later cell needs — in the feedback run it does
not run at all (ps2's figure cells only draw ``FIGURES``/``PRACTICE_CURVES`` from the setup
and loader cells). Tags in a submission are never believed: the set of tagged cells comes
from the release alone, normalization puts every locked cell back from the release, and a
student's own cell, answer or test cell is matched by its grade id against the release's
tagged locked cells, so a tag there changes nothing.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Protocol

from nbformat import NotebookNode

from autograder.cells import nbgrader_meta
from autograder.grading.trusted import TrustedAssignment
from autograder.outcome import Outcome
from autograder.reasons import UNAVAILABLE
from autograder.sandbox import ExecResult
from autograder.grading.validate import TrustedNotebook

CELL_TIMEOUT = 60.0
TOTAL_TIMEOUT = 300.0
#: Tag (on a locked, non-graded release cell) for "render once per grading process".
STATIC_OUTPUT_TAG = "static-output"
#: What a static-output cell runs in a submission's feedback run (a no-op that still
#: takes an execution count, so later cells are numbered as in a normal run).
STATIC_PLACEHOLDER = "pass"


class NotebookRunner(Protocol):
    """What the feedback run needs of a sandbox."""

    def execute_notebook(self, nb: Any, cell_timeout: float = ..., total_timeout: float = ...,
                         files: dict[str, str] | None = None) -> ExecResult: ...


@dataclass
class StaticOutputs:
    """The static-output cells' outputs of one release version, by grade id."""

    digest: str
    outputs: dict[str, list]


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


def render_static_outputs(assignment: TrustedAssignment, sandbox: NotebookRunner,
                          cell_timeout: float, total_timeout: float) -> StaticOutputs:
    """ONE sandboxed run of the release up to its last tagged cell; the tagged cells that ran
    without error keep their outputs (the others are executed normally per submission)."""
    trusted = assignment.trusted
    tagged = static_cells(trusted)
    outputs: dict[str, list] = {}
    if not tagged:
        return StaticOutputs(assignment.digest, outputs)
    nb = copy.deepcopy(trusted.notebook)
    nb.cells = nb.cells[: max(trusted.cells[g].index for g in tagged) + 1]
    try:
        result: ExecResult | None = sandbox.execute_notebook(nb, cell_timeout, total_timeout, files=dict(assignment.files))
    except Exception:  # noqa: BLE001 - no cache: every submission runs the cells itself
        result = None
    if result is None or len(result.notebook.cells) != len(nb.cells):
        return StaticOutputs(assignment.digest, outputs)
    for grade_id in tagged:
        index = trusted.cells[grade_id].index
        cell = result.notebook.cells[index]
        if cell.get("execution_count") is None or result.cell_errors[index] or index == result.stopped_at:
            continue
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            continue
        outputs[grade_id] = copy.deepcopy(list(cell.outputs))
    return StaticOutputs(assignment.digest, outputs)


def blank_static_cells(normalized: NotebookNode, static: dict[str, list]) -> tuple[NotebookNode, dict[int, str]]:
    """A copy of the normalized notebook with each cached static cell's source replaced by
    :data:`STATIC_PLACEHOLDER`, and {cell index: grade id} of those cells. Cells are matched by
    the grade id of the normalized notebook, whose graded cells all come from the release."""
    if not static:
        return normalized, {}
    out = copy.deepcopy(normalized)
    spliced: dict[int, str] = {}
    for index, cell in enumerate(out.cells):
        grade_id = nbgrader_meta(cell).get("grade_id")
        if cell.get("cell_type") == "code" and grade_id in static and grade_id not in spliced.values():
            cell.source = STATIC_PLACEHOLDER
            spliced[index] = grade_id
    return out, spliced


def splice_static_outputs(executed: NotebookNode, normalized: NotebookNode, spliced: dict[int, str],
                          static: dict[str, list], cell_errors: list[bool]) -> None:
    """Put the release sources back into the blanked cells and, where the run reached them
    without error, the cached outputs (execute_result counts renumbered to the cell's)."""
    for index, grade_id in spliced.items():
        if index >= len(executed.cells):
            continue
        cell = executed.cells[index]
        cell.source = normalized.cells[index].source
        count = cell.get("execution_count")
        if count is None or (index < len(cell_errors) and cell_errors[index]):
            continue  # not reached, or the run ended in it: keep what the run said
        outputs = copy.deepcopy(static[grade_id])
        for output in outputs:
            if output.get("output_type") == "execute_result":
                output["execution_count"] = count
        cell.outputs = outputs


def kernel_results(executed: NotebookNode, trusted: TrustedNotebook, cell_errors: list[bool]) -> dict[str, bool | None]:
    """Per visible test cell: True ran without error, False raised, None did not run."""
    out: dict[str, bool | None] = {g: None for g in trusted.test_ids}
    for index, cell in enumerate(executed.cells):
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id not in out or cell.get("cell_type") != "code" or out[grade_id] is not None:
            continue
        if cell.get("execution_count") is None:
            continue
        raised = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        if index < len(cell_errors):
            raised = raised or bool(cell_errors[index])
        out[grade_id] = not raised
    return out


def execute_for_feedback(normalized: NotebookNode, assignment: TrustedAssignment, static: StaticOutputs,
                         sandbox: NotebookRunner, outcome: Outcome,
                         cell_timeout: float = CELL_TIMEOUT, total_timeout: float = TOTAL_TIMEOUT) -> NotebookNode:
    """Run the normalized notebook (static cells spliced in); record the kernel's verdict per
    visible test in ``outcome``; the executed notebook is returned for ``autograded/``."""
    to_run, spliced = blank_static_cells(normalized, static.outputs)
    result = sandbox.execute_notebook(to_run, cell_timeout, total_timeout, files=dict(assignment.files))
    executed = result.notebook
    if spliced:
        splice_static_outputs(executed, normalized, spliced, static.outputs, result.cell_errors)
    ended = "ok" if result.ok else f"{result.failure}: {result.message[:120]}"
    ran = kernel_results(executed, assignment.trusted, result.cell_errors)
    for check in outcome.checks:
        if check.grade_id not in ran:
            continue
        check.kernel_passed = ran[check.grade_id]
        if check.kernel_passed is None:
            outcome.flags.append(f"visible test {check.grade_id} did not run in the kernel ({ended})")
        elif check.kernel_passed and not check.basics_ok and check.reason not in UNAVAILABLE:
            outcome.flags.append(f"{check.grade_id} passed in the kernel but failed in the scorer (suspected tampering)")
    return executed
