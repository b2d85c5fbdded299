"""Step 2, normalize: the notebook that is scored and executed, rebuilt from the release.

Whatever the student did to the cells they must not change (deleted, duplicated, re-typed,
re-tagged, rewritten test cells, another kernelspec), the normalized notebook has the
release's locked and test cells, in the student's order, with the student's answers under
the release's metadata, and no outputs. Tampering is *recorded* by validation
(:mod:`autograder.grading.validate`); here it simply has no effect.

nbgrader's ``autograde`` does the same job with a list of preprocessors. Outputs are cleared
with its own :class:`~nbgrader.preprocessors.ClearOutput`. The other three are not used,
because their behaviour differs where the red-team suite depends on ours:

* ``OverwriteCells`` resets a cell's type, lock, points and (for locked cells) source, but
  keeps the student's tags (a ``skip-execution`` or ``raises-exception`` tag on a test cell
  survives), keeps a cell whose grade id is unknown (only its id is removed, the cell still
  runs), puts deleted grade cells back with a notice prepended and deleted locked non-grade
  cells not at all, and reads the gradebook once per cell; ours takes the whole cell from
  the frozen release the coordinator cross-checked with the gradebook once per run.
* ``DeduplicateIds`` keeps the LAST cell of a duplicated grade id and leaves the earlier
  ones in the notebook as plain cells; validation and the sealed scorer take the FIRST
  (:func:`autograder.grading.validate.inspect_cells`), so ours keeps the first and drops the rest.
* ``OverwriteKernelspec`` opens the gradebook in every worker; ours copies the release's
  kernelspec (checked equal to the gradebook's when the assignment is loaded).
"""
from __future__ import annotations

import copy

from nbformat import NotebookNode
from nbgrader.preprocessors import ClearOutput

from autograder.cells import cell_tags, nbgrader_meta
from autograder.grading.validate import EXECUTION_TAGS, TrustedNotebook


def restore_locked_cells(trusted: TrustedNotebook, submitted: NotebookNode) -> NotebookNode:
    """The notebook to score and execute: the student's cells, with every trusted
    locked/test cell restored from the release (deleted ones put back, duplicates and
    unknown graded cells dropped, tags and metadata reset), the release kernelspec, answer
    cells keeping the student's source under the release's metadata, and no outputs."""
    cells: list[NotebookNode] = []
    placed: set[str] = set()
    for cell in submitted.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if not (isinstance(grade_id, str) and grade_id):
            cells.append(_without_execution_tags(cell))
        elif grade_id in trusted.cells and grade_id not in placed:
            placed.add(grade_id)
            cells.append(_from_release(trusted, grade_id, cell))
    _put_back_deleted(trusted, cells, placed)
    out = copy.deepcopy(NotebookNode({key: value for key, value in submitted.items() if key != "cells"}))
    out.cells = cells
    if trusted.kernelspec:
        out.metadata["kernelspec"] = copy.deepcopy(trusted.kernelspec)
    out, _ = ClearOutput().preprocess(out, {})
    return out


def _without_execution_tags(cell: NotebookNode) -> NotebookNode:
    """A copy of a cell the release does not own, minus the tags that change how it runs."""
    cell = copy.deepcopy(cell)
    if "tags" in cell.get("metadata", {}):
        cell.metadata.tags = [t for t in cell_tags(cell) if t not in EXECUTION_TAGS]
    return cell


def _from_release(trusted: TrustedNotebook, grade_id: str, cell: NotebookNode) -> NotebookNode:
    """The release's cell ``grade_id``; an answer keeps the student's source."""
    tcell = trusted.cells[grade_id]
    fresh = copy.deepcopy(trusted.notebook.cells[tcell.index])
    if tcell.kind in ("answer", "manual"):
        source = cell.get("source", "")
        fresh.source = source if isinstance(source, str) else ""
    return fresh


def _put_back_deleted(trusted: TrustedNotebook, cells: list[NotebookNode], placed: set[str]) -> None:
    """Insert each deleted trusted cell right after the trusted cell that precedes it in
    the release (placed by then: they are handled in release order); a deleted first
    trusted cell goes first when it is the release's first cell, else last."""
    order = list(trusted.cells)
    for k, grade_id in enumerate(order):
        if grade_id in placed:
            continue
        tcell = trusted.cells[grade_id]
        if k > 0:
            ids = [nbgrader_meta(c).get("grade_id") for c in cells]
            position = ids.index(order[k - 1]) + 1
        else:
            position = 0 if tcell.index == 0 else len(cells)
        cells.insert(position, copy.deepcopy(trusted.notebook.cells[tcell.index]))
        placed.add(grade_id)
