"""Shared fixtures; keeps every test's Jupyter/IPython/matplotlib state inside the repo.

``make test`` exports the same locations; they are set here too (before anything imports
matplotlib or Jupyter) so a bare ``pytest`` run does not write into $HOME either.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
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


def _declared_timeout(item: pytest.Item) -> float:
    mark = item.get_closest_marker("timeout")
    return float(mark.args[0]) if mark and mark.args else 0.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files whose tests declare the longest pytest-timeout (the golden check, the isolation
    paths, the hub, the pipeline, the red team) run first, each file's tests in their order:
    with ``-n 2 --dist loadfile --no-loadscope-reorder`` a long file that started last
    would keep one worker busy alone at the end."""
    longest: dict[str, float] = {}
    for item in items:
        path = item.nodeid.split("::")[0]
        longest[path] = max(longest.get(path, 0.0), _declared_timeout(item))
    items.sort(key=lambda item: -longest[item.nodeid.split("::")[0]])


@dataclass(frozen=True)
class DemoRun:
    """``python -m autograder demo`` (``make demo``) as it ran on a clean copy of this checkout."""

    root: Path  # the copy after the run: read it, never change it (copy it first)
    returncode: int
    stdout: str
    stderr: str


def _run_demo(root: Path) -> DemoRun:
    """``make demo`` on a new copy at ``root``: the SQLite default, release/ regenerated."""
    root.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "source", root / "source")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "autograder", "--course", str(root), "demo"],
                       capture_output=True, text=True, env=env, timeout=900)
    return DemoRun(root, r.returncode, r.stdout, r.stderr)


@pytest.fixture(scope="session")
def demo_class(tmp_path_factory) -> DemoRun:
    """The sample class graded once per test session by ``make demo`` (the demo test checks
    the run, the golden check grades the rest of its submissions on a copy of it).

    Once for every pytest-xdist worker too: the first worker that needs it runs it in the
    run's shared temp folder under a lock; the others wait for it and read the result.
    """
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the session's folder, above each worker's own
    record = shared / "demo-class.json"
    with open(shared / "demo-class.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.is_file():
            run = _run_demo(shared / "demo-class")
            record.write_text(json.dumps({**asdict(run), "root": str(run.root)}))
    saved = json.loads(record.read_text())
    return DemoRun(**{**saved, "root": Path(saved["root"])})


@pytest.fixture()
def trusted_assignment():
    """``load(root, name)``: the frozen trusted assignment of a course, built as the grading
    coordinator builds it once per run."""
    from autograder.course import Course
    from autograder.grading.trusted import load_assignment

    def load(root, name: str = "ps_demo"):
        return load_assignment(Course(Path(root)), name)

    return load


@pytest.fixture()
def graded_with(monkeypatch):
    """``use(checks, assignment)``: make the grader know ``assignment`` with these checks
    (for small synthetic assignments graded with fakes), as if it had a folder."""
    from autograder import assignments

    def use(checks: dict, assignment: str = "ps_demo") -> None:
        declared = assignments.Assignment(name=assignment, checks=tuple(checks.values()))
        real_get, real_names = assignments.get, assignments.names
        monkeypatch.setattr(assignments, "get", lambda name: declared if name == assignment else real_get(name))
        monkeypatch.setattr(assignments, "names", lambda *where: (*real_names(*where), assignment))

    return use


def assignment_course(where: Path, assignment: str) -> Path:
    """A course at ``where``/course holding ``assignment``'s source and a copy of the
    autograder (its hidden test cells import it), ready for nbgrader's generate_assignment."""
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
