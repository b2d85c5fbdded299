"""The program builder: what the sealed scorer hands a sandboxed child — the release's setup
cells, then the student's answer cells, nothing else (no test cell, no markdown, no hidden
material)."""
from __future__ import annotations

from collections.abc import Mapping

from nbformat import NotebookNode

from autograder.cells import is_answer_cell, is_setup_cell, nbgrader_meta


def answer_program(trusted: NotebookNode, submitted: Mapping[str, str]) -> list[tuple[str, str]]:
    """What a child executes: the TRUSTED notebook's setup cells, then the student's answers.

    ``trusted`` is the release (or source) notebook and decides which cells exist and in
    which order; ``submitted`` maps answer grade ids to the student's sources (missing
    ones run as empty). Returns ``[(label, source)]`` with labels ``setup:<n>`` or the
    grade id.
    """
    program: list[tuple[str, str]] = []
    for index, cell in enumerate(trusted.cells):
        if is_setup_cell(cell):
            program.append((f"setup:{index}", cell.source))
        elif is_answer_cell(cell):
            grade_id = nbgrader_meta(cell)["grade_id"]
            program.append((grade_id, submitted.get(grade_id, "")))
    return program


def answer_sources(notebook: NotebookNode) -> dict[str, str]:
    """{grade_id: source} of the answer cells present in a (submitted) notebook.

    A grade id that appears twice keeps its first cell (the duplicate is a tampering sign
    that the scorer reports separately).
    """
    found: dict[str, str] = {}
    for cell in notebook.cells:
        if is_answer_cell(cell):
            found.setdefault(nbgrader_meta(cell)["grade_id"], cell.source)
    return found
