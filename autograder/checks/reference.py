"""The instructor's own solution, executed in this process (trusted code only).

Calibration scripts and fast tests of checks need what the source notebook's answers do:
:func:`solution_namespace` runs its setup cells and solution cells, in order, in a fresh
namespace, exactly the program a sandboxed child would run for a student who typed the
solution. Never use :func:`run_program` on a student's submission: that is what the sandbox
is for.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder.cells import is_answer_cell, is_setup_cell, nbgrader_meta


def run_program(program: list[tuple[str, str]]) -> dict[str, object]:
    """Execute ``[(label, source)]`` in a fresh namespace IN THIS PROCESS (trusted code only)."""
    namespace: dict[str, object] = {"__name__": "__main__"}
    for label, source in program:
        exec(compile(source, f"<{label}>", "exec"), namespace)  # noqa: S102 - the instructor's own code
    return namespace


def solution_program(notebook: NotebookNode) -> list[tuple[str, str]]:
    """The notebook's setup and solution cells as a program (labels as the scorer's)."""
    return [(f"setup:{index}" if is_setup_cell(cell) else nbgrader_meta(cell)["grade_id"], cell.source)
            for index, cell in enumerate(notebook.cells) if is_setup_cell(cell) or is_answer_cell(cell)]


def solution_namespace(notebook_path: Path) -> dict[str, object]:
    """The source notebook's setup and solution cells executed here."""
    return run_program(solution_program(nbformat.read(notebook_path, as_version=4)))
