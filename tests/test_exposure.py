"""The rule that decides whether grading may start at a level that hides no file
(:mod:`autograder.sandbox.exposure`): the permission bits, read as a child's uid sees them."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.course import Course
from autograder.sandbox.exposure import apart_refusal, exposed_paths, reachable_by_others, refusal
from autograder.sandbox.policy import Level

OWN_UID = Level.parse("uid+seccomp+memcg+rlimits")  # path none as root: each child has a uid of its own
GRADERS_UID = Level.parse("seccomp+rlimits")  # path none as another user: children run as the grader


@pytest.fixture()
def tree() -> Iterator[dict[str, Path]]:
    """A course-like tree, open to others (0755 folders, 0644 files) until a test closes it;
    in /tmp itself (pytest's own temp folders are closed to others)."""
    tmp_path = Path(tempfile.mkdtemp(prefix="lrlab-exposure-"))
    tmp_path.chmod(0o755)
    paths = {"source": tmp_path / "course" / "source", "submitted": tmp_path / "course" / "submitted",
             "gradebook": tmp_path / "course" / "gradebook.db"}
    for name in ("source", "submitted"):
        paths[name].mkdir(parents=True)
        (paths[name] / "secret.txt").write_text("secret")
    paths["gradebook"].write_text("db")
    for path in (tmp_path / "course", *paths.values()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    try:
        yield paths
    finally:
        shutil.rmtree(tmp_path)


def test_levels_that_hide_files() -> None:
    assert Level.parse("netns+mountns+pidns+uid+seccomp+rlimits").hides_files
    assert Level.parse("uid+seccomp+landlock+rlimits").hides_files
    assert not OWN_UID.hides_files and not GRADERS_UID.hides_files


def test_levels_that_keep_students_apart() -> None:
    """A PID namespace per child, a uid per child or Landlock's scoping: any one keeps a child
    from signalling, tracing or outliving another child or the sandbox (the warm parent kills
    any process that leaves a child's tree in every case)."""
    for level in ("netns+mountns+pidns+pidns-per-child+userns+seccomp+landlock+rlimits", "uid+seccomp+rlimits",
                  "seccomp+landlock+landlock-scope+rlimits"):
        assert Level.parse(level).separates_students, level
    weak = Level.parse("netns+mountns+pidns+userns+seccomp+landlock+memcg+rlimits")  # children share a PID namespace
    assert not weak.separates_students and not GRADERS_UID.separates_students
    line = apart_refusal(weak)
    assert "\n" not in line and "does not keep students apart" in line and "--allow-weak-isolation" in line


def test_levels_are_written_in_one_order_and_parsed_strictly() -> None:
    level = Level.parse("rlimits+uid+netns")
    assert str(level) == "netns+uid+rlimits" and Level.parse(str(level)) == level
    assert level.missing(Level.parse("netns+mountns+uid")) == ["mountns"] and not level.missing(Level())
    assert str(Level()) == "" and not Level.parse("")
    with pytest.raises(ValueError, match="unknown isolation part"):
        Level.parse("netns+mountnss")


def test_a_mount_namespace_or_landlock_exposes_nothing(tree: dict[str, Path]) -> None:
    for level in ("netns+mountns+pidns+userns+seccomp+rlimits", "seccomp+landlock+rlimits"):
        assert exposed_paths(Level.parse(level), tree.values()) == []


def test_a_child_with_the_graders_uid_reaches_everything(tree: dict[str, Path]) -> None:
    """Whatever the bits: it IS the owner. Paths that do not exist are not reported."""
    for path in tree.values():
        path.chmod(0o700 if path.is_dir() else 0o600)
    assert exposed_paths(GRADERS_UID, [*tree.values(), tree["source"] / "missing"]) == list(tree.values())


def test_a_child_with_its_own_uid_reaches_what_others_may(tree: dict[str, Path]) -> None:
    assert exposed_paths(OWN_UID, tree.values()) == list(tree.values())
    tree["gradebook"].chmod(0o640)  # a file closed to others
    tree["source"].chmod(0o750)  # a folder closed to others
    assert exposed_paths(OWN_UID, tree.values()) == [tree["submitted"]]
    tree["submitted"].chmod(0o711)  # others may still enter (and open a name they guess)
    assert exposed_paths(OWN_UID, tree.values()) == [tree["submitted"]]
    tree["submitted"].chmod(0o755)
    tree["source"].parent.chmod(0o750)  # the course root closed: nothing below is reachable
    try:
        assert exposed_paths(OWN_UID, tree.values()) == []
        assert not reachable_by_others(tree["source"] / "secret.txt")
    finally:
        tree["source"].parent.chmod(0o755)


def test_the_refusal_names_a_path_and_the_ways_out(tree: dict[str, Path]) -> None:
    line = refusal(OWN_UID, list(tree.values()))
    assert "\n" not in line and f"others may open {tree['source']} (+2 more)" in line
    assert "chmod o-rwx" in line and "--allow-weak-isolation" in line and "Landlock" in line
    assert "read and write" in refusal(GRADERS_UID, [tree["gradebook"]])


def test_a_courses_instructor_paths(tmp_path: Path) -> None:
    """source/, every student's folders, the outcomes, the gradebook file, the exchange."""
    root = tmp_path / "course"
    exchange = tmp_path / "exchange"
    for sub in ("source", "submitted", "autograded", "feedback", "outcomes", "release"):
        (root / sub).mkdir(parents=True)
    exchange.mkdir()
    (root / "gradebook.db").write_text("")
    (root / "nbgrader_config.py").write_text(f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n")
    paths = Course(root).instructor_paths()
    expected = [root / s for s in ("source", "submitted", "autograded", "feedback", "outcomes")]
    assert list(paths) == [p.resolve() for p in (*expected, root / "gradebook.db", exchange)]
    assert os.fspath(root / "release") not in map(os.fspath, paths)
