"""autograder.grading.validate on a small synthetic release notebook (no kernels, no sandbox)."""
from __future__ import annotations

import copy
import json
import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.utils import compute_checksum

from autograder.grading.normalize import restore_locked_cells
from autograder.grading.validate import (
    GradebookCell,
    GradebookNotebook,
    TrustedMismatch,
    find_submission,
    inspect_cells,
    parse_notebook,
    read_gradebook,
    trusted_notebook,
    validate_file,
    validate_submission,
)


def _nbg(cell, **meta):
    cell.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": False, "schema_version": 3, **meta}
    if any(meta.get(k) for k in ("grade", "solution", "locked")):
        cell.metadata.nbgrader["checksum"] = compute_checksum(cell)
        cell.metadata.nbgrader["cell_type"] = cell.cell_type
    return cell


def release_nb():
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    setup = _nbg(new_code_cell("import math"), grade_id="setup", locked=True)
    setup.metadata["tags"] = ["setup"]
    nb.cells = [
        new_markdown_cell("# Problem set"),
        setup,
        _nbg(new_code_cell("# YOUR CODE HERE\nraise NotImplementedError()"), grade_id="f_answer", solution=True),
        _nbg(new_code_cell("assert f(1) == 2"), grade_id="test_f", grade=True, locked=True, points=2),
        _nbg(new_code_cell("# YOUR CODE HERE\nraise NotImplementedError()"), grade_id="g_answer", solution=True),
        _nbg(new_code_cell("assert g(0) == 0"), grade_id="test_g", grade=True, locked=True, points=3),
        _nbg(new_markdown_cell("YOUR ANSWER HERE"), grade_id="why", grade=True, solution=True, points=1),
    ]
    return nb


@pytest.fixture()
def trusted():
    return trusted_notebook("ps_demo", release_nb())


def submission(answers=None):
    nb = release_nb()
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if answers and gid in answers:
            cell.source = answers[gid]
    return nb


def cell_by(nb, gid):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def test_honest_submission_has_no_flags(trusted):
    v = inspect_cells(trusted, submission({"f_answer": "def f(x):\n    return 2 * x"}))
    assert v.ok and v.flags == [] and v.missing_answers == []


def test_trusted_index(trusted):
    assert trusted.answer_ids == ["f_answer", "g_answer"]
    assert trusted.test_ids == ["test_f", "test_g"]
    assert trusted.cells["why"].kind == "manual"
    assert trusted.cells["setup"].kind == "locked"


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda nb: setattr(cell_by(nb, "test_f"), "source", "pass"), "test cell 'test_f' was modified"),
        (lambda nb: cell_by(nb, "test_f").metadata.nbgrader.__setitem__("checksum", "0" * 32), None),
        (lambda nb: setattr(cell_by(nb, "setup"), "source", "import math\nimport os"), "locked cell 'setup' was modified"),
        (lambda nb: nb.cells.remove(cell_by(nb, "test_g")), "test cell 'test_g' was deleted"),
        (lambda nb: nb.cells.append(copy.deepcopy(cell_by(nb, "test_f"))), "'test_f' appears 2 times"),
        (lambda nb: cell_by(nb, "test_f").metadata.nbgrader.__setitem__("points", 20), "metadata changed (points)"),
        (lambda nb: cell_by(nb, "test_f").metadata.nbgrader.__setitem__("grade", False), "metadata changed (grade)"),
        (lambda nb: cell_by(nb, "test_f").metadata.__setitem__("tags", ["skip-execution"]), "tagged skip-execution"),
        (lambda nb: cell_by(nb, "f_answer").metadata.__setitem__("tags", ["raises-exception"]), "tagged raises-exception"),
        (lambda nb: nb.metadata.__setitem__("kernelspec", {"name": "evil", "display_name": "x"}), "kernelspec changed"),
        (lambda nb: nb.cells.remove(cell_by(nb, "f_answer")), "answer cell 'f_answer' was deleted"),
    ],
)
def test_tampering_flags(trusted, mutate, expected):
    nb = submission()
    mutate(nb)
    v = inspect_cells(trusted, nb)
    assert v.ok  # tampering never blocks scoring (the scorer ignores all but answers)
    if expected is None:  # a forged checksum alone changes nothing nbgrader or we use
        assert v.flags == []
    else:
        assert any(expected in f for f in v.flags), v.flags


def test_retyped_test_cell(trusted):
    nb = submission()
    i = nb.cells.index(cell_by(nb, "test_f"))
    md = new_markdown_cell(nb.cells[i].source, metadata=copy.deepcopy(nb.cells[i].metadata))
    nb.cells[i] = md
    v = inspect_cells(trusted, nb)
    assert any("re-typed from code to markdown" in f for f in v.flags)


def test_deleted_answer_is_missing(trusted):
    nb = submission()
    nb.cells.remove(cell_by(nb, "g_answer"))
    assert inspect_cells(trusted, nb).missing_answers == ["g_answer"]


def test_missing_and_wrong_assignment(trusted):
    nb = submission()
    nb.cells = [c for c in nb.cells if "nbgrader" not in c.metadata]
    assert inspect_cells(trusted, nb).reason == "missing_cells"
    other = submission()
    for cell in other.cells:
        if "nbgrader" in cell.metadata:
            cell.metadata.nbgrader["grade_id"] = "other_" + cell.metadata.nbgrader["grade_id"]
    v = inspect_cells(trusted, other)
    assert v.reason == "wrong_assignment" and "does not belong" in v.detail


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not_a_notebook"),
        (b"print('hello')\n", "not_a_notebook"),
        (b'{"cells": [', "not_a_notebook"),
        (b"[1, 2, 3]", "invalid_notebook"),
        (b'{"nbformat": 3, "cells": []}', "invalid_notebook"),
        (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "bogus"}]}', "invalid_notebook"),
        (b"[" * 100000 + b"]" * 100000, "not_a_notebook"),
    ],
)
def test_bad_files(data, reason):
    nb, got, detail = parse_notebook(data)
    assert nb is None and got == reason and detail


def test_validate_file_roundtrip(tmp_path, trusted):
    path = tmp_path / "ps_demo.ipynb"
    nbformat.write(submission(), path)
    v = validate_file(path, trusted)
    assert v.ok and len(v.sha256) == 64
    big = tmp_path / "big.ipynb"
    big.write_bytes(b" " * 2048)
    assert validate_file(big, trusted, max_bytes=1024).reason == "invalid_notebook"


def test_symlink_refused(tmp_path, trusted):
    secret = tmp_path / "gradebook.db"
    secret.write_text("SECRET")
    folder = tmp_path / "submitted" / "s1" / "ps_demo"
    folder.mkdir(parents=True)
    os.symlink(secret, folder / "ps_demo.ipynb")
    v = validate_submission(folder, trusted)
    assert v.reason == "not_a_notebook" and any("symlink" in f for f in v.flags)
    assert "SECRET" not in v.detail


def test_find_submission_other_name(tmp_path, trusted):
    folder = tmp_path / "s"
    folder.mkdir()
    assert find_submission(folder, "ps_demo")[0] is None
    nbformat.write(submission(), folder / "mine.ipynb")
    path, flags, _ = find_submission(folder, "ps_demo")
    assert path.name == "mine.ipynb" and flags


def test_restore_locked_cells(trusted):
    nb = submission({"f_answer": "def f(x):\n    return 2 * x"})
    cell_by(nb, "test_f").source = "pass"
    cell_by(nb, "test_f").metadata["tags"] = ["skip-execution"]
    nb.cells.remove(cell_by(nb, "test_g"))
    nb.cells.append(copy.deepcopy(cell_by(nb, "f_answer")))
    nb.cells.append(new_code_cell("print('my own cell')", metadata={"tags": ["raises-exception"]}))
    nb.metadata["kernelspec"] = {"name": "evil"}
    out = restore_locked_cells(trusted, nb)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in out.cells]
    assert ids == [None, "setup", "f_answer", "test_f", "g_answer", "test_g", "why", None]
    assert cell_by(out, "test_f").source == "assert f(1) == 2" and "tags" not in cell_by(out, "test_f").metadata
    assert cell_by(out, "f_answer").source.startswith("def f")
    assert out.cells[-1].metadata["tags"] == []
    assert out.metadata.kernelspec["name"] == "python3"
    assert inspect_cells(trusted, out).flags == []


def test_restore_clears_outputs_and_their_display_metadata(trusted):
    nb = submission({"f_answer": "def f(x):\n    return 2 * x"})
    answer = cell_by(nb, "f_answer")
    answer.outputs = [nbformat.v4.new_output("stream", name="stdout", text="forged ✓\n")]
    answer.execution_count = 7
    answer.metadata.update(collapsed=True, scrolled=True)
    out = cell_by(restore_locked_cells(trusted, nb), "f_answer")
    assert out.outputs == [] and out.execution_count is None
    assert "collapsed" not in out.metadata and "scrolled" not in out.metadata
    assert answer.outputs and answer.execution_count == 7  # the submission itself is untouched


@pytest.mark.parametrize("corrupt, message", [
    (lambda nb: nb.cells.append(copy.deepcopy(nb.cells[3])), "Duplicate grade id: test_f"),
    (lambda nb: nb.cells[3].metadata.nbgrader.pop("points"), "does not have points"),
    (lambda nb: nb.cells[1].metadata.nbgrader.update(grade_id=""), "grade_id is empty"),
])
def test_release_with_invalid_nbgrader_metadata_is_refused(corrupt, message):
    nb = release_nb()
    corrupt(nb)
    with pytest.raises(TrustedMismatch, match=message):
        trusted_notebook("ps_demo", nb)


def test_gradebook_cross_check():
    nb = release_nb()
    cells = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if meta and (meta["grade"] or meta["solution"] or meta["locked"]):
            cells[meta["grade_id"]] = GradebookCell(
                cell.cell_type, bool(meta["locked"]), meta["checksum"], float(meta["points"]) if meta["grade"] else None
            )
    ok = GradebookNotebook(cells, {"name": "python3"})
    trusted_notebook("ps_demo", nb, ok)
    cells["test_f"].max_score = 99.0
    with pytest.raises(TrustedMismatch, match="points"):
        trusted_notebook("ps_demo", nb, ok)


def test_read_gradebook_missing_file(tmp_path):
    assert read_gradebook(f"sqlite:///{tmp_path / 'nope.db'}", "a", "a") is None
    assert not (tmp_path / "nope.db").exists()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"")
    assert read_gradebook(f"sqlite:///{junk}", "a", "a") is None


def test_notebook_json_source_lists(tmp_path, trusted):
    # Notebooks on disk store sources as lists of lines; they must parse the same.
    raw = json.loads(nbformat.writes(submission({"f_answer": "def f(x):\n    return 2 * x"})))
    assert any(isinstance(cell["source"], list) for cell in raw["cells"])
    nb, reason, _ = parse_notebook(json.dumps(raw).encode())
    assert reason is None and inspect_cells(trusted, nb).flags == []
