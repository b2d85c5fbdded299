"""``python -m autograder new NAME`` (autograder/assignments/README.md): a new assignment is four
files and touches no other, and the grader grades it through the whole sealed pipeline.

On a temporary copy of the course (the autograder, lrlab and the nbgrader config): scaffold,
release with nbgrader, lay out the scaffold's correct and wrong answer sets as submissions,
grade them with ``python -m autograder grade`` (the real sandbox, the sealed scorer, the
feedback run) — every command in a fresh interpreter that imports the copy's autograder.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

NAME = "ps_scaffolded"
#: The files a new assignment is, besides what nbgrader generates (release/, the gradebook).
AUTHORED = {
    f"source/{NAME}/{NAME}.ipynb",
    f"autograder/assignments/{NAME}/assignment.py",
    f"autograder/assignments/{NAME}/samples/correct.py",
    f"autograder/assignments/{NAME}/samples/wrong_never_scales_down.py",
}
LAYOUT = """
import sys
from pathlib import Path

import nbformat

from autograder import demo, submissions
from autograder.course import Course

course = Course(Path(sys.argv[1]))
for variant in submissions.variants(sys.argv[2]):
    notebook = submissions.build_submission(sys.argv[2], variant, course.root)
    demo.write_submission(course, sys.argv[2], variant, nbformat.writes(notebook).encode())
"""


def files(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path -> sha256), caches left out."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("scaffold") / "course"
    root.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", root)
    for folder in ("autograder", "lrlab"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def autograder(course: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m autograder ARGS`` in the course copy, importing the copy's autograder."""
    env = {**os.environ, "PYTHONPATH": str(course), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "autograder", "--course", str(course), *args],
                          cwd=course, env=env, capture_output=True, text=True, timeout=540)


def test_a_new_assignment_is_four_files_and_is_graded_end_to_end(course: Path) -> None:
    before = files(course)
    made = autograder(course, "new", NAME)
    assert made.returncode == 0, made.stderr
    after = files(course)
    assert set(after) - set(before) == AUTHORED, "new writes exactly the assignment's own files"
    assert {k: after[k] for k in before} == before, "new changes no existing file"
    again = autograder(course, "new", NAME)
    assert again.returncode == 2 and "exists already" in again.stderr

    released = autograder(course, "release", NAME, "--no-exchange")
    assert released.returncode == 0, released.stderr
    release = json.loads((course / "release" / NAME / f"{NAME}.ipynb").read_text())
    text = json.dumps(release)
    assert "run_in_kernel" not in text and "BEGIN SOLUTION" not in text and "NotImplementedError" in text

    env = {**os.environ, "PYTHONPATH": str(course)}
    subprocess.run([sys.executable, "-c", LAYOUT, str(course), NAME], cwd=course, env=env, check=True, timeout=120)
    graded = autograder(course, "grade", NAME, "--workers", "1", "--no-progress", "--execute")
    assert graded.returncode == 0, graded.stderr

    from autograder import store

    outcomes = store.read_all(course, NAME)
    correct, wrong = outcomes["correct"], outcomes["wrong_never_scales_down"]
    assert (correct.status, correct.score, correct.max_score) == ("graded", 10.0, 10.0), correct
    assert wrong.status == "graded" and 0 < wrong.score < 10, wrong
    assert "mountns" in correct.isolation or "landlock" in correct.isolation  # the real sandbox
    assert [c.kernel_passed for c in (*correct.checks, *wrong.checks)] == [True, True]  # the feedback run
    assert correct.flags == [] and wrong.flags == []
    assert (course / "autograded" / "correct" / NAME / f"{NAME}.ipynb").is_file()
