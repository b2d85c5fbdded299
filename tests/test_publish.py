"""``python -m autograder publish``: the student repository holds what students need, nothing else.

The real checkout is published into a temporary folder once; the tests check its contents,
run every leak detector on it (clean), plant one leak of each kind in copies of it (each
one found), check that a leaking course is refused before anything is written, that a
second publish is one commit on top, and run the notebooks from the published tree alone.
"""
from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from autograder import cli, leaks, publish
from autograder.assignments.ps2_diagnosing_curves.bank import load_bank
from autograder.course import Course

ROOT = Path(__file__).resolve().parents[1]
EXPECTED_TOP = {".gitignore", publish.MARKER, "Dockerfile", "README.md", "course", "environment.yml",
                "jupyter-config", "lrlab", "pyproject.toml", "release"}


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def course() -> Course:
    return Course(ROOT)


@pytest.fixture(scope="module")
def secrets(course) -> leaks.Secrets:
    return leaks.course_secrets(course)


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("published") / "lrlab-student"
    assert cli.main(["--course", str(ROOT), "publish", str(folder)]) == 0
    return folder


def test_the_student_repository_holds_only_student_material(published):
    assert {p.name for p in published.iterdir()} == EXPECTED_TOP | {".git"}
    tracked = _git(published, "ls-files").splitlines()
    assert sorted(p.name for p in (ROOT / "course").glob("*.ipynb")) == sorted(
        Path(t).name for t in tracked if t.startswith("course/"))
    assert {t for t in tracked if t.startswith("release/")} == {
        str(p.relative_to(ROOT)) for p in (ROOT / "release").rglob("*") if p.is_file()}
    for name in ("environment.yml", "pyproject.toml"):
        assert (published / name).read_bytes() == (ROOT / name).read_bytes()
    assert (published / "Dockerfile").read_bytes() == (ROOT / "hub" / "z2jh" / "Dockerfile").read_bytes()
    readme = (published / "README.md").read_text()
    assert "ps1_schedulers" in readme and "01_reading_loss_curves" in readme and "$" not in readme
    assert _git(published, "status", "--porcelain") == "" and _git(published, "branch", "--show-current") == "main"
    assert len(_git(published, "log", "--format=%H").splitlines()) == 1


def test_every_detector_passes_the_published_tree(published, course, secrets):
    assert leaks.scan(published, course, secrets) == []


def _plant(published: Path, tmp_path: Path, rel: str, content: str | bytes) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(published, tree, ignore=shutil.ignore_patterns(".git"))
    target = tree / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content if isinstance(content, bytes) else content.encode())
    return tree


def _notebook_with(source: str, output: str = "") -> str:
    cell = new_code_cell(source)
    if output:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output)]
    return nbformat.writes(nbformat.v4.new_notebook(cells=[cell]))


def _source_cell(assignment: str, marker: str) -> str:
    nb = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    return next(c.source for c in nb.cells if marker in c.source)


def _heldout() -> dict:
    """A held-out curve long enough to be recognised by its values (a diverging one has
    only two finite losses: those are recognised by their id)."""
    return next(c for c in load_bank()["heldout"]["curves"] if "nan" not in c["val_loss"] and c["label"] == "good")


PLANTED = {
    # kind found: (where, what)
    "solution": ("course/07_extra.ipynb", lambda: _notebook_with(_source_cell("ps1_schedulers", "BEGIN SOLUTION"))),
    "mark scheme": ("release/notes.md", lambda: "=== BEGIN MARK SCHEME ===\nany sensible answer\n=== END MARK SCHEME ===\n"),
    "hidden test": ("release/ps1_schedulers/extra.ipynb",
                    lambda: _notebook_with(_source_cell("ps1_schedulers", "BEGIN HIDDEN TESTS"))),
    "check module": ("lrlab/_grading.py",
                     lambda: (ROOT / "autograder" / "assignments" / "ps1_schedulers" / "checks.py").read_text()
                     .replace("autograder", "grading")),
    "instructor path": ("autograder/checks/notes.txt", lambda: "nothing secret in the text itself\n"),
    "reference value": ("course/answers.ipynb",
                        lambda: _notebook_with("print(KEY)", output=repr(load_bank()["figure_key"]) + "\n")),
    "bank curve": ("release/ps2_diagnosing_curves/more_curves.json",
                   lambda: json.dumps({"train": _heldout()["train_loss"], "val": _heldout()["val_loss"]}, indent=2)),
}


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_a_planted_leak_is_found(kind, published, course, secrets, tmp_path):
    where, content = PLANTED[kind]
    tree = _plant(published, tmp_path, where, content())
    found = leaks.scan(tree, course, secrets)
    assert kind in {f.kind for f in found}, found
    assert all(where == f.path or where.startswith(f.path + "/") for f in found), found


def test_a_bank_curve_is_found_by_its_values_alone(published, course, secrets, tmp_path):
    values = [v for v in _heldout()["val_loss"] if not isinstance(v, str)][:6]
    tree = _plant(published, tmp_path, "course/numbers.txt", "losses: " + "  ".join(f"{v:.4g}" for v in values))
    assert [f.kind for f in leaks.scan(tree, course, secrets)] == ["bank curve"]


@pytest.mark.parametrize("what", ["levels", "name"])
def test_a_heldout_ps3_problem_is_found(what, published, course, secrets, tmp_path):
    """ps3's held-out range-test traces (what suggest_lr is judged on) and its problems' names,
    planted in the student tree: found by values alone (as a student would paste them) or by name."""
    from autograder.assignments.ps3_tuning.heldout import load_data

    problem = load_data()["problems"][0]
    levels = problem["trace"]["losses"][:6]  # the first levels of a range test: finite, above zero
    text = {"levels": "levels = [" + ", ".join(f"{v:g}" for v in levels) + "]",
            "name": f"# the grader's problem {problem['name']}"}[what]
    tree = _plant(published, tmp_path, "release/ps3_tuning/more_traces.py", text)
    assert [(f.path, f.kind) for f in leaks.scan(tree, course, secrets)] == [
        ("release/ps3_tuning/more_traces.py", "bank curve")]


def test_a_leaking_course_is_refused_and_nothing_is_written(tmp_path, capsys):
    root = tmp_path / "course"
    for name in ("course", "lrlab", "release", "source", "hub", "lab-settings"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("node_modules", "runtime"))
    for name in ("environment.yml", "pyproject.toml", "nbgrader_config.py"):
        shutil.copy(ROOT / name, root)
    lecture = root / "course" / "01_reading_loss_curves.ipynb"
    nb = nbformat.read(lecture, as_version=4)
    nb.cells.append(new_code_cell(_source_cell("ps2_diagnosing_curves", "BEGIN SOLUTION")))
    nbformat.write(nb, lecture)
    target = tmp_path / "student"
    assert cli.main(["--course", str(root), "publish", str(target)]) == 2
    err = capsys.readouterr().err
    assert "refusing to publish" in err and "01_reading_loss_curves.ipynb: solution" in err
    assert not target.exists()


def test_a_second_publish_is_one_commit_on_top(published, tmp_path, capsys):
    again = publish.run(Course(ROOT), published, log=lambda m: None)
    assert not again.changed and len(_git(published, "log", "--format=%H").splitlines()) == 1
    clone = tmp_path / "clone"
    shutil.copytree(published, clone)
    (clone / "course" / "01_reading_loss_curves.ipynb").unlink()  # a stale file the next publish restores
    (clone / "stale.txt").write_text("left by hand\n")
    _git(clone, "add", "--all")
    _git(clone, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qm", "by hand")
    result = publish.run(Course(ROOT), clone, log=lambda m: None)
    assert result.changed and len(_git(clone, "log", "--format=%H").splitlines()) == 3
    assert not (clone / "stale.txt").exists() and (clone / "course" / "01_reading_loss_curves.ipynb").is_file()
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "thesis.tex").write_text("mine\n")
    assert cli.main(["--course", str(ROOT), "publish", str(occupied)]) == 2
    assert "neither empty nor an earlier publish" in capsys.readouterr().err
    assert cli.main(["--course", str(ROOT), "publish", str(ROOT / "release" / "x")]) == 2


# --------------------------------------------------------------------------- run from the published tree

ISOLATION = """import importlib.util, sys
assert importlib.util.find_spec("autograder") is None, "autograder is importable"
foreign = [p for p in sys.path if p and p != {tree!r} and not p.startswith(({tree!r} + "/", sys.prefix, sys.base_prefix))]
assert not foreign, foreign"""
FROM_TREE = """import sys
lrlab_files = {{n: getattr(m, "__file__", "") for n, m in sys.modules.items() if n.split(".")[0] == "lrlab"}}
assert {expect} <= bool(lrlab_files) and all(f.startswith({tree!r} + "/") for f in lrlab_files.values()), lrlab_files"""


def _smoke_cells(path: Path) -> list:
    """The cells that must run from the published tree: every cell of lecture 02, the first
    code cell (imports, seeding) of the other lectures, and in a problem set every cell
    before the first answer cell (setup, data files, read-only figures)."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    if path.parent.name == "course":
        return code if path.name.startswith("02_") else code[:1]
    first_answer = next(i for i, c in enumerate(code) if c.metadata.get("nbgrader", {}).get("solution"))
    return code[:first_answer]


def _sanitize(text: str) -> str:
    rules = configparser.ConfigParser()
    rules.read(ROOT / "tests" / "nbval_sanitize.cfg")
    for section in rules.sections():
        text = re.sub(rules[section]["regex"], rules[section]["replace"], text)
    return text


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(f"{out.get('name')}: {out.get('text', '')}")
        elif out.get("output_type") in ("execute_result", "display_data", "error"):
            parts.append(out.get("data", {}).get("text/plain", "") or f"error {out.get('ename')}")
    return _sanitize("".join(parts))


def _execute(notebooks: list[Path], tree: Path) -> dict[Path, tuple[list, list]]:
    """Run every notebook's smoke cells in ONE fresh kernel (a kernel start and a torch import
    cost seconds each), each after a chdir into its own folder as JupyterLab would start it;
    {notebook: (committed cells, executed cells)}."""
    plan = {path: _smoke_cells(path) for path in notebooks}
    uses_lrlab = any("lrlab" in c.source for cells in plan.values() for c in cells)
    nb = nbformat.v4.new_notebook(metadata=nbformat.read(notebooks[0], as_version=4).metadata)
    nb.cells = [new_code_cell(ISOLATION.format(tree=str(tree)))]
    spans = {}
    for path, cells in plan.items():
        nb.cells.append(new_code_cell(f"import os\nos.chdir({str(path.parent)!r})"))
        spans[path] = (len(nb.cells), len(nb.cells) + len(cells))
        nb.cells += [new_code_cell(c.source) for c in cells]
    nb.cells.append(new_code_cell(FROM_TREE.format(tree=str(tree), expect=uses_lrlab)))
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tree)}}).execute()
    return {path: (plan[path], nb.cells[a:b]) for path, (a, b) in spans.items()}


@pytest.mark.slow
def test_lectures_and_problem_sets_run_from_the_published_tree_alone(published, monkeypatch):
    """A fresh kernel with nothing of this checkout on sys.path (PYTHONPATH: the published
    root only); lrlab must load from the published copy. Smoke subset: see _smoke_cells."""
    monkeypatch.setenv("PYTHONPATH", str(published))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    notebooks = sorted(published.glob("course/*.ipynb")) + sorted(published.glob("release/*/*.ipynb"))
    compared = 0
    for path, (committed, executed) in _execute(notebooks, published).items():
        for want, got in zip(committed, executed, strict=True):
            assert not [o for o in got.outputs if o.get("name") == "stderr" or o.get("output_type") == "error"], (
                path.name, got.source[:80], got.outputs)
            if path.parent.name == "course":  # lectures carry outputs: the same numbers from the published lrlab
                assert _text(got) == _text(want), (path.name, got.source[:80])
                compared += bool(_text(want))
    assert compared >= 5  # lecture 02's printed tables and figures, at least
