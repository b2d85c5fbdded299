"""Shared fixtures; keeps every test's Jupyter/IPython/matplotlib state inside the repo.

``make test`` exports the same locations; they are set here too (before anything imports
matplotlib or Jupyter) so a bare ``pytest`` run does not write into $HOME either.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_STATE = ROOT / ".cache"
for var, sub in {
    "JUPYTER_CONFIG_DIR": "jupyter/config",
    "JUPYTER_DATA_DIR": "jupyter/data",
    "JUPYTER_RUNTIME_DIR": "jupyter/runtime",
    "IPYTHONDIR": "ipython",
    "MPLCONFIGDIR": "matplotlib",
    "XDG_CACHE_HOME": "xdg",
    "npm_config_cache": "npm",
}.items():
    os.environ.setdefault(var, str(_STATE / sub))

import matplotlib  # noqa: E402  (after MPLCONFIGDIR is set)

matplotlib.use("Agg")

import pytest  # noqa: E402


@pytest.fixture()
def trusted_assignment():
    """``load(root, name)``: the frozen trusted assignment of a course, built as the grading
    coordinator builds it once per run."""
    from autograder.course import Course
    from autograder.grading.assignment import load_assignment

    def load(root, name: str = "ps_demo"):
        return load_assignment(Course(Path(root)), name)

    return load


@pytest.fixture()
def graded_with(monkeypatch):
    """``use(checks, assignment)``: make the grader know ``assignment`` with these checks
    (for small synthetic assignments graded with fakes)."""
    import autograder.grading.worker
    import autograder.scorer

    def use(checks: dict, assignment: str = "ps_demo") -> None:
        monkeypatch.setattr(autograder.grading.worker, "ASSIGNMENTS", {assignment: "test"})
        monkeypatch.setattr(autograder.grading.worker, "load_checks", lambda a: checks)
        monkeypatch.setattr(autograder.grading.worker, "trusted_imports", lambda a: ())
        monkeypatch.setattr(autograder.scorer, "load_checks", lambda a: checks)

    return use


def assignment_course(where: Path, assignment: str) -> Path:
    """A course at ``where``/course holding ``assignment``'s source and a copy of the
    autograder (its hidden test cells import it), ready for nbgrader's generate_assignment."""
    import shutil

    course = where / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "source" / assignment, course / "source" / assignment)
    shutil.copytree(ROOT / "autograder", course / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    return course


def nbgrader_api(course: Path):
    """nbgrader's own API on ``course`` (its config, its gradebook and exchange inside it)."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.db_url = f"sqlite:///{course / 'gradebook.db'}"
    config.Exchange.root = str(course / "exchange")
    return NbGraderAPI(config=config)
