"""Files the grader writes follow the umask, and nbgrader's group-shared course setting.

Before, every record, export and feedback page was 0600 (a temp file renamed into place),
so a co-instructor could not read them. Now a file gets what ``open()`` would give
(0666 minus the umask); with ``CourseDirectory.groupshared = True`` also group read/write,
and the folders created for it group rwx + setgid, like nbgrader's own files.
"""
from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder import cli, store
from autograder.course import Course
from tests.test_pipeline import A, answer_nb, run_grade, submit, template  # noqa: F401  (template: a fixture)

WRITTEN = ("outcomes", "exports", "feedback", "reports")


@pytest.fixture
def umask() -> Iterator[callable]:
    previous = os.umask(0o022)
    try:
        yield os.umask
    finally:
        os.umask(previous)


def _grade_everything(template: Path, root: Path, *, group_shared: bool) -> Course:
    shutil.copytree(template, root)
    if group_shared:
        with open(root / "nbgrader_config.py", "a") as fh:
            fh.write("\nc.CourseDirectory.groupshared = True\n")
    course = Course(root)
    assert course.group_shared is group_shared
    submit(course, "alice", answer_nb(course, "return x * x"))
    submit(course, "dave", b'{"cells": [ not json')
    run_grade(course, workers=1)
    for verb in (["feedback", A], ["export"], ["report", A]):
        assert cli.main(["--course", str(root), *verb]) == 0
    return course


def _modes(root: Path) -> tuple[set[int], set[int]]:
    """(file modes, folder modes) of everything the grader wrote under WRITTEN."""
    files, folders = set(), set()
    for top in WRITTEN:
        folders.add(stat.S_IMODE((root / top).stat().st_mode))
        for path in (root / top).rglob("*"):
            (files if path.is_file() else folders).add(stat.S_IMODE(path.stat().st_mode))
    return files, folders


@pytest.mark.slow
def test_files_follow_the_umask(template, tmp_path, umask):
    umask(0o022)
    course = _grade_everything(template, tmp_path / "course", group_shared=False)
    files, folders = _modes(course.root)
    assert files == {0o644} and folders == {0o755}
    assert (course.root / "feedback" / "alice" / A / "timestamp.txt").stat().st_mode & 0o777 == 0o644


def test_a_private_umask_stays_private(tmp_path, umask):
    umask(0o077)
    path = store.atomic_write_text(tmp_path / "a" / "b.txt", "x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    umask(0o002)
    path = store.atomic_write_text(tmp_path / "c.txt", "x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o664


@pytest.mark.slow
def test_a_group_shared_course_shares_with_the_group(template, tmp_path, umask):
    umask(0o022)  # the instructor's own umask would drop group write: group sharing adds it back
    course = _grade_everything(template, tmp_path / "course", group_shared=True)
    files, folders = _modes(course.root)
    assert files == {0o664}
    assert folders == {0o2775}  # setgid: new files inherit the course's group
