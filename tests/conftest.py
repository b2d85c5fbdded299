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
#: Where Jupyter, IPython, matplotlib and npm keep their state: this checkout's .cache/ (the
#: Makefile exports the same).
STATE_DIRS = {
    "JUPYTER_CONFIG_DIR": "jupyter/config",
    "JUPYTER_DATA_DIR": "jupyter/data",
    "JUPYTER_RUNTIME_DIR": "jupyter/runtime",
    "IPYTHONDIR": "ipython",
    "MPLCONFIGDIR": "matplotlib",
    "XDG_CACHE_HOME": "xdg",
    "npm_config_cache": "npm",
}
for var, sub in STATE_DIRS.items():
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
    """``make demo`` as it ran in a fresh clone of this checkout (:func:`fresh_clone`)."""

    root: Path  # the clone after the run: read it, never change it (copy it first)
    returncode: int
    stdout: str
    stderr: str


def _ignored_by_git() -> list[str]:
    """The names ``.gitignore`` leaves out of a clone (its patterns, read per file name)."""
    lines = (ROOT / ".gitignore").read_text().splitlines()
    return [line.strip().rstrip("/").rsplit("/", 1)[-1] for line in lines if line.strip() and not line.startswith("#")]


def fresh_clone(where: Path) -> Path:
    """What a newcomer's clone of this checkout holds, at ``where``: every file but what
    ``.gitignore`` names (no venv, no caches, no gradebook, no graded class), and no ``.git``."""
    shutil.copytree(ROOT, where, ignore=shutil.ignore_patterns(".git", *_ignored_by_git()))
    return where


def clone_env(clone: Path) -> dict[str, str]:
    """The environment of a command run in ``clone``: its own autograder and lrlab imported,
    its own state folders (as ``make`` there would export them), none of this test run's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_") and k not in STATE_DIRS}
    return {**env, **{var: str(clone / ".cache" / sub) for var, sub in STATE_DIRS.items()},
            "PYTHONPATH": str(clone), "PYTHONDONTWRITEBYTECODE": "1"}


def _run_demo(root: Path) -> DemoRun:
    """``make demo``'s command in a fresh clone at ``root`` (its course root): the SQLite
    default, release/ regenerated, the sample class graded."""
    clone = fresh_clone(root)
    r = subprocess.run([sys.executable, "-m", "autograder", "demo"], cwd=clone, env=clone_env(clone),
                       capture_output=True, text=True, timeout=900)
    return DemoRun(clone, r.returncode, r.stdout, r.stderr)


@pytest.fixture(scope="session")
def demo_class(tmp_path_factory) -> DemoRun:
    """The sample class graded once per test session by ``make demo`` in a fresh clone under
    the system's temp folder (the demo test checks the run, the golden check grades the rest
    of its submissions on a copy of it, tests/test_fresh_clone.py runs tests in a copy of it).

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
