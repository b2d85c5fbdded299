"""Answer sets and the notebooks built from them (samples, fixtures, red-team cases).

An answer set is a text file ``autograder/samples/<assignment>/<variant>.py`` holding the
source of answer cells, each introduced by a marker line with its nbgrader grade id::

    # variant-of: correct
    # %% answer: step_decay_answer
    def step_decay(step, base_lr, step_size, gamma):
        ...

``variant-of`` (optional, first line) starts from another answer set and replaces only the
cells listed, so a wrong-but-plausible variant states just what it gets wrong.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from pathlib import Path

import nbformat
from nbformat import NotebookNode

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = Path(__file__).resolve().parent / "samples"
_MARKER = re.compile(r"^# %% answer: (?P<grade_id>[A-Za-z0-9_\-]+)\s*$", re.MULTILINE)
_PARENT = re.compile(r"^# variant-of: (?P<parent>[A-Za-z0-9_\-]+)\s*$")


def variants(assignment: str) -> list[str]:
    """Names of the answer sets stored for ``assignment``."""
    return sorted(p.stem for p in (SAMPLES / assignment).glob("*.py"))


def parse_answers(text: str) -> tuple[str | None, dict[str, str]]:
    """Split an answer-set file into (parent variant or None, {grade_id: source})."""
    first = text.splitlines()[0] if text else ""
    parent = m.group("parent") if (m := _PARENT.match(first)) else None
    parts = _MARKER.split(text)
    answers = {parts[i]: parts[i + 1].strip("\n") + "\n" for i in range(1, len(parts), 2)}
    return parent, {k: v.rstrip("\n") for k, v in answers.items()}


def answers(assignment: str, variant: str) -> dict[str, str]:
    """The full answer set ``variant`` (parents resolved), keyed by grade id."""
    path = SAMPLES / assignment / f"{variant}.py"
    if not path.is_file():
        raise ValueError(f"no answer set {variant!r} for {assignment!r} (have: {variants(assignment)})")
    parent, own = parse_answers(path.read_text())
    if parent is None:
        return own
    return {**answers(assignment, parent), **own}


def release_notebook(assignment: str, root: Path = ROOT) -> NotebookNode:
    """The released student notebook ``release/<assignment>/<assignment>.ipynb``."""
    return nbformat.read(root / "release" / assignment / f"{assignment}.ipynb", as_version=4)


def fill(notebook: NotebookNode, cell_sources: Mapping[str, str]) -> NotebookNode:
    """A copy of ``notebook`` whose cells with these grade ids get these sources.

    Raises ValueError when a grade id does not name a cell of the notebook.
    """
    filled = copy.deepcopy(notebook)
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in filled.cells}
    unknown = sorted(set(cell_sources) - set(by_id))
    if unknown:
        raise ValueError(f"no cells with grade ids {unknown}")
    for grade_id, source in cell_sources.items():
        by_id[grade_id].source = source
    return filled


def build_submission(assignment: str, variant: str, root: Path = ROOT) -> NotebookNode:
    """The release notebook of ``assignment`` filled in with answer set ``variant``."""
    return fill(release_notebook(assignment, root), answers(assignment, variant))


def is_setup_cell(cell: NotebookNode) -> bool:
    """A read-only code cell tagged ``setup`` (imports); runs before the answers everywhere."""
    return cell.cell_type == "code" and "setup" in cell.metadata.get("tags", [])


def is_answer_cell(cell: NotebookNode) -> bool:
    """An autograded answer cell: nbgrader ``solution`` and not ``grade``, code."""
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("solution")) and not meta.get("grade")


def answer_program(trusted: NotebookNode, submitted: Mapping[str, str]) -> list[tuple[str, str]]:
    """What a worker executes: the TRUSTED notebook's setup cells, then the student's answers.

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
            grade_id = cell.metadata["nbgrader"]["grade_id"]
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
            found.setdefault(cell.metadata["nbgrader"]["grade_id"], cell.source)
    return found


def run_program(program: list[tuple[str, str]]) -> dict[str, object]:
    """Execute an answer program in a fresh namespace IN THIS PROCESS.

    Only for trusted code (the instructor's own solutions, fast unit tests of checks):
    never call it on a student's submission outside the sandbox.
    """
    namespace: dict[str, object] = {"__name__": "__main__"}
    for label, source in program:
        exec(compile(source, f"<{label}>", "exec"), namespace)
    return namespace
