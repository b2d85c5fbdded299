"""Step 2, normalize: the notebook that is scored and executed, rebuilt from the release.

Whatever the student did to the cells they must not change (deleted, duplicated, re-typed,
re-tagged, rewritten test cells, another kernelspec), the normalized notebook has the
release's locked and test cells, in the student's order, with the student's answers under
the release's metadata, and no outputs. Tampering is *recorded* by validation
(:mod:`autograder.validate`); here it simply has no effect.
"""
from __future__ import annotations

import copy

from nbformat import NotebookNode

from autograder.validate import EXECUTION_TAGS, TrustedNotebook, nbgrader_meta, cell_tags


def restore_locked_cells(trusted: TrustedNotebook, submitted: NotebookNode) -> NotebookNode:
    """The notebook to execute for the student's feedback: the student's cells, with every
    trusted locked/test cell restored from the release (deleted ones put back, duplicates
    and unknown graded cells dropped, tags and metadata reset), the release kernelspec, and
    answer cells keeping the student's source under the release's metadata."""
    out = copy.deepcopy(submitted)
    cells: list[NotebookNode] = []
    placed: set[str] = set()
    for cell in out.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if isinstance(grade_id, str) and grade_id:
            tcell = trusted.cells.get(grade_id)
            if tcell is None or grade_id in placed:
                continue  # unknown or duplicated graded cell
            placed.add(grade_id)
            fresh = copy.deepcopy(trusted.notebook.cells[tcell.index])
            if tcell.kind in ("answer", "manual"):
                source = cell.get("source", "")
                fresh.source = source if isinstance(source, str) else ""
            cells.append(fresh)
        else:
            cell = copy.deepcopy(cell)
            if "tags" in cell.get("metadata", {}):
                cell.metadata.tags = [t for t in cell_tags(cell) if t not in EXECUTION_TAGS]
            cells.append(cell)
    # Put back deleted trusted cells after the nearest preceding trusted cell.
    for grade_id, tcell in trusted.cells.items():
        if grade_id in placed:
            continue
        fresh = copy.deepcopy(trusted.notebook.cells[tcell.index])
        position = len(cells)
        for prev in reversed([g for g, c in trusted.cells.items() if c.index < tcell.index]):
            ids = [nbgrader_meta(c).get("grade_id") for c in cells]
            if prev in ids:
                position = ids.index(prev) + 1
                break
        else:
            position = 0 if tcell.index == 0 else position
        cells.insert(position, fresh)
        placed.add(grade_id)
    out.cells = cells
    if trusted.kernelspec:
        out.metadata["kernelspec"] = copy.deepcopy(trusted.kernelspec)
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return out
