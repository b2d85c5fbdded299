"""The committed lecture notebooks are executed, quiet, described and end with a self-check.

nbval passes unexecuted cells trivially, so these checks make sure there is something to
compare: every code cell ran (in order, in one session), nothing went to stderr or raised,
every figure carries a one-sentence description a screen reader can read (``lrlab.plots.show``
makes it the figure's plain text and prints it under the image), and the lecture closes with
2–3 numbered self-check questions and a one-line key result. The negative tests feed the same
checker synthetic notebooks that must be rejected.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted((ROOT / "course").glob("[0-9][0-9]_*.ipynb"))
_QUESTION = re.compile(r"^\s{0,3}\d+\.\s+\S", re.MULTILINE)


def problems(nb: nbformat.NotebookNode) -> list[str]:
    """Everything that makes ``nb`` unfit to commit as an executed lecture (empty if fine)."""
    found: list[str] = []
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
    if not code:
        found.append("no code cells")
    counts = []
    for i, cell in code:
        if cell.get("execution_count") is None:
            found.append(f"cell {i} was never executed")
        else:
            counts.append(cell.execution_count)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                found.append(f"cell {i} wrote to stderr: {out.get('text', '')[:80]!r}")
            if out.get("output_type") == "error":
                found.append(f"cell {i} raised {out.get('ename')}")
            if "image/png" in out.get("data", {}):
                alt = str(out["data"].get("text/plain", ""))
                if not (alt.startswith("Figure: ") and alt.rstrip().endswith(".") and len(alt) > 40):
                    found.append(f"cell {i} shows a figure without a one-sentence description: {alt[:60]!r}")
    if counts and counts != list(range(1, len(counts) + 1)):
        found.append(f"cells were not run top to bottom in one session: {counts}")
    if code and not any(cell.get("outputs") for _, cell in code):
        found.append("no outputs at all: cleared before commit?")
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    tail = "\n".join(markdown[-2:])
    if not re.search(r"^#+\s*Self-check", tail, re.MULTILINE | re.IGNORECASE):
        found.append("no closing '## Self-check' section")
    else:
        section = tail.split("Self-check", 1)[-1]
        section = re.sub(r"<details>.*?</details>", "", section, flags=re.DOTALL)  # hidden answers
        questions = _QUESTION.findall(section)
        if not 2 <= len(questions) <= 3:
            found.append(f"self-check has {len(questions)} numbered questions, expected 2-3")
    if not re.search(r"\*\*Key result:\*\*\s*\S", tail):
        found.append("no closing '**Key result:** …' line")
    return found


def test_there_are_lectures() -> None:
    assert LECTURES, "course/ holds no NN_*.ipynb lecture notebooks"


@pytest.mark.parametrize("path", LECTURES, ids=[p.name for p in LECTURES])
def test_committed_lecture_is_executed_quiet_and_closes_with_a_self_check(path: Path) -> None:
    assert problems(nbformat.read(path, as_version=4)) == []


# --- the checker must be able to fail -------------------------------------------------------

_CLOSING = """## Self-check

1. First question?
2. Second question?

**Key result:** one line."""


def _lecture(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.cells = [new_markdown_cell("# A lecture"), *cells, new_markdown_cell(_CLOSING)]
    return nb


def _ran(source: str, count: int, *outputs: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cell = new_code_cell(source, execution_count=count)
    cell.outputs = list(outputs)
    return cell


def _stdout(text: str) -> nbformat.NotebookNode:
    return new_output("stream", name="stdout", text=text)


def test_checker_accepts_a_well_formed_lecture() -> None:
    nb = _lecture(_ran("x = 1", 1), _ran("print(x)", 2, _stdout("1\n")))
    assert problems(nb) == []


def test_checker_rejects_an_unexecuted_cell() -> None:
    nb = _lecture(_ran("print(1)", 1, _stdout("1\n")), new_code_cell("print(2)"))
    assert any("never executed" in p for p in problems(nb))


def test_checker_rejects_cleared_outputs() -> None:
    nb = _lecture(_ran("print(1)", 1))
    assert any("no outputs" in p for p in problems(nb))


def test_checker_rejects_stderr_and_errors() -> None:
    warning = new_output("stream", name="stderr", text="UserWarning: careful\n")
    error = new_output("error", ename="ValueError", evalue="bad", traceback=[])
    nb = _lecture(_ran("import warnings", 1, warning), _ran("raise ValueError", 2, error))
    found = problems(nb)
    assert any("stderr" in p for p in found) and any("ValueError" in p for p in found)


def test_checker_rejects_a_figure_without_a_description() -> None:
    png = "iVBORw0KGgo="
    bare = new_output("display_data", data={"image/png": png, "text/plain": "<Figure size 700x400 with 1 Axes>"})
    described = new_output("display_data", data={"image/png": png,
                                                 "text/plain": "Figure: The training loss falls smoothly over 20 epochs."})
    assert problems(_lecture(_ran("show(fig)", 1, described))) == []
    assert any("without a one-sentence description" in p for p in problems(_lecture(_ran("plt.show()", 1, bare))))


def test_checker_rejects_out_of_order_execution() -> None:
    nb = _lecture(_ran("a = 1", 2, _stdout("")), _ran("print(a)", 1, _stdout("1\n")))
    assert any("top to bottom" in p for p in problems(nb))


@pytest.mark.parametrize(
    "closing, complaint",
    [
        ("**Key result:** one line.", "Self-check"),
        ("## Self-check\n\n1. Only one?\n\n**Key result:** x", "1 numbered"),
        ("## Self-check\n\n1. a?\n2. b?\n3. c?\n4. d?\n\n**Key result:** x", "4 numbered"),
        ("## Self-check\n\n1. a?\n2. b?", "Key result"),
        ("## Self-check\n\n1. a?\n\n<details>\n\n1. x\n2. y\n\n</details>\n\n**Key result:** x", "1 numbered"),
    ],
)
def test_checker_rejects_a_missing_or_malformed_closing(closing: str, complaint: str) -> None:
    nb = _lecture(_ran("print(1)", 1, _stdout("1\n")))
    nb.cells[-1] = new_markdown_cell(closing)
    assert any(complaint in p for p in problems(nb))
