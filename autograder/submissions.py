"""Answer sets and the notebooks built from them (samples, fixtures, red-team cases).

An answer set is a text file ``autograder/assignments/<assignment>/samples/<variant>.py``
holding the source of answer cells, each introduced by a marker line with its nbgrader grade id::

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

from autograder import REPO_ROOT
from autograder.assignments import samples
from autograder.cells import nbgrader_meta

_MARKER = re.compile(r"^# %% answer: (?P<grade_id>[A-Za-z0-9_\-]+)\s*$", re.MULTILINE)
_PARENT = re.compile(r"^# variant-of: (?P<parent>[A-Za-z0-9_\-]+)\s*$")


def variants(assignment: str) -> list[str]:
    """Names of the answer sets stored for ``assignment``."""
    return sorted(p.stem for p in samples(assignment).glob("*.py"))


def parse_answers(text: str) -> tuple[str | None, dict[str, str]]:
    """Split an answer-set file into (parent variant or None, {grade_id: source})."""
    first = text.splitlines()[0] if text else ""
    parent = m.group("parent") if (m := _PARENT.match(first)) else None
    parts = _MARKER.split(text)
    answers = {parts[i]: parts[i + 1].strip("\n") + "\n" for i in range(1, len(parts), 2)}
    return parent, {k: v.rstrip("\n") for k, v in answers.items()}


def answers(assignment: str, variant: str) -> dict[str, str]:
    """The full answer set ``variant`` (parents resolved), keyed by grade id."""
    path = samples(assignment) / f"{variant}.py"
    if not path.is_file():
        raise ValueError(f"no answer set {variant!r} for {assignment!r} (have: {variants(assignment)})")
    parent, own = parse_answers(path.read_text())
    if parent is None:
        return own
    return {**answers(assignment, parent), **own}


def release_notebook(assignment: str, root: Path = REPO_ROOT) -> NotebookNode:
    """The released student notebook ``release/<assignment>/<assignment>.ipynb``."""
    return nbformat.read(root / "release" / assignment / f"{assignment}.ipynb", as_version=4)


def fill(notebook: NotebookNode, cell_sources: Mapping[str, str]) -> NotebookNode:
    """A copy of ``notebook`` whose cells with these grade ids get these sources.

    Raises ValueError when a grade id does not name a cell of the notebook.
    """
    filled = copy.deepcopy(notebook)
    by_id = {nbgrader_meta(c).get("grade_id"): c for c in filled.cells}
    unknown = sorted(set(cell_sources) - set(by_id))
    if unknown:
        raise ValueError(f"no cells with grade ids {unknown}")
    for grade_id, source in cell_sources.items():
        by_id[grade_id].source = source
    return filled


def build_submission(assignment: str, variant: str, root: Path = REPO_ROOT) -> NotebookNode:
    """The release notebook of ``assignment`` filled in with answer set ``variant``."""
    return fill(release_notebook(assignment, root), answers(assignment, variant))
