"""``make test`` passes wherever a newcomer runs it: in a fresh clone under /tmp, after ``make demo``.

The session's demo class (``conftest.demo_class``) is ``make demo`` run in a fresh clone of this
checkout under the system's temp folder; it leaves what a newcomer's first command leaves
(``gradebook.db``, ``submitted/``, ``outcomes/``, ``feedback/``, ``reports/``, ``exports/``).
On a copy of that clone, this runs the tests that look at the checkout itself — where it
lives (the sandbox hides it, and a clone under /tmp sits inside every child's private /tmp)
and what lies in it (releases regenerated beside a gradebook, a student repository published
from it) — with the clone's own autograder and lrlab.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import clone_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

#: Tests that read the checkout's location or its contents.
SELECTION = (
    "tests/test_sandbox.py::test_hidden_paths_are_unreadable_and_unwritable",
    "tests/test_sandbox.py::test_kept_paths_under_tmp_survive_the_private_tmp",
    "tests/test_ps1.py::test_committed_release_equals_regenerated",
    "tests/test_ps2.py::test_release_equals_nbgrader_regeneration",
    "tests/test_ps3.py::test_release_equals_nbgrader_regeneration",
    "tests/test_publish.py::test_the_student_repository_holds_only_student_material",
    "tests/test_assignments.py",
    "tests/test_layers.py",
    "tests/test_readme.py",
    "tests/test_no_home_writes.py",
)


def test_the_checkouts_own_tests_pass_in_a_fresh_clone_under_tmp_after_make_demo(demo_class, tmp_path) -> None:
    assert demo_class.returncode == 0, demo_class.stderr[-3000:]
    clone = tmp_path / "clone"
    shutil.copytree(demo_class.root, clone, symlinks=True)
    for left_by_make_demo in ("gradebook.db", "submitted", "outcomes", "feedback", "reports", "exports"):
        assert (clone / left_by_make_demo).exists(), left_by_make_demo
    run = subprocess.run([sys.executable, "-m", "pytest", *SELECTION, "-q", "-n", "0", "-m", "not hub",
                          "--basetemp", str(tmp_path / "basetemp")],
                         cwd=clone, env=clone_env(clone), capture_output=True, text=True, timeout=840)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    summary = run.stdout.splitlines()[-1]
    assert " passed" in summary and not re.search(r"\b\d+ (failed|errors?)\b", summary), summary
