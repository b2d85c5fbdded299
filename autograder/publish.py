"""``python -m autograder publish DIR`` (``make publish``): the student repository.

Students pull the course with nbgitpuller, which clones a whole git repository into their
home, so the repository they pull must hold what they need and nothing else. This command
builds it in DIR as a git repository of its own (branch ``main``) from :data:`TREE`:

* ``course/`` (the lectures with outputs), ``lrlab/`` (the library), ``release/`` (the
  problem sets as nbgrader released them, nbgrader's ``CourseDirectory.ignore`` applied);
* ``environment.yml`` and ``pyproject.toml`` (the pins), a student ``README.md``
  (``autograder/templates/student_README.md``);
* ``Dockerfile`` (``hub/z2jh/Dockerfile``) and ``jupyter-config/`` (the student server's
  extension switches and JupyterLab settings), so the hub image is built from this
  repository alone.

Nothing else is copied: no ``source/``, ``autograder/``, ``tests/``, curve bank, gradebook
or instructor docs. Before anything reaches DIR the staged tree goes through every detector
of :mod:`autograder.leaks`; one finding and nothing is written.

DIR is either new (or an empty folder) or an earlier publish (it has :data:`MARKER`): then
every tracked file is replaced by the new tree and the change is one new commit on top, so
students' nbgitpuller merges it like any update. An unchanged tree makes no commit. Push it
where the hub can clone it: ``git -C DIR push <remote> main``.
"""
from __future__ import annotations

import fnmatch
import shutil
import string
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder import leaks
from autograder.course import Course, CourseError

TEMPLATE = Path(__file__).resolve().parent / "templates" / "student_README.md"
MARKER = ".lrlab-published"
GITIGNORE = ".ipynb_checkpoints/\n__pycache__/\n*.egg-info/\n.venv/\n"
COMMITTER = ("LR Lab publish", "publish@localhost")  # only when git has no identity configured


@dataclass(frozen=True)
class Item:
    """``source`` (relative to the course root) published as ``target``; a folder keeps the
    files matching ``pattern`` (recursive glob)."""

    source: str
    target: str
    pattern: str = ""


TREE = (
    Item("course", "course", "*.ipynb"),
    Item("lrlab", "lrlab", "**/*.py"),
    Item("release", "release", "**/*"),
    Item("environment.yml", "environment.yml"),
    Item("pyproject.toml", "pyproject.toml"),
    Item("hub/z2jh/Dockerfile", "Dockerfile"),
    Item("hub/user-config/student", "jupyter-config/student", "**/*"),
    Item("lab-settings/lrlab.json", "jupyter-config/lab-settings/lrlab.json"),
)


@dataclass(frozen=True)
class Published:
    folder: Path
    commit: str
    changed: bool
    files: int


def _ignored(rel: Path, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(part, p) for part in rel.parts for p in patterns)


def build(course: Course, stage: Path) -> list[str]:
    """Write the student tree into ``stage`` (a new folder); returns its files, relative."""
    ignore = [*course.coursedir.ignore, "__pycache__", "*.pyc", ".ipynb_checkpoints"]
    written: list[str] = []
    for item in TREE:
        source_name = course.coursedir.release_directory if item.source == "release" else item.source
        source = course.root / source_name
        if not source.exists():
            raise CourseError(f"publish needs {source_name} in the course root {course.root}")
        files = [source] if source.is_file() else sorted(p for p in source.glob(item.pattern) if p.is_file())
        for path in files:
            rel = Path(item.target) / path.relative_to(source) if source.is_dir() else Path(item.target)
            if path.is_symlink() or _ignored(rel, ignore):
                continue
            (stage / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, stage / rel)
            written.append(str(rel))
    lectures = ", ".join(f"`{Path(f).stem}`" for f in written if f.startswith("course/"))
    assignments = ", ".join(f"`{a}`" for a in sorted({Path(f).parts[1] for f in written if f.startswith("release/")}))
    readme = string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(lectures=lectures,
                                                                                assignments=assignments)
    extra = {"README.md": readme, ".gitignore": GITIGNORE,
             MARKER: "Written by LR Lab's `python -m autograder publish`; the next publish replaces every file.\n"}
    for name, text in extra.items():
        (stage / name).write_text(text, encoding="utf-8")
        written.append(name)
    return sorted(written)


def _git(folder: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True)
    if result.returncode != 0:
        raise CourseError(f"git {' '.join(args)} in {folder} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def check_destination(course: Course, folder: Path) -> None:
    """DIR must be new, empty or an earlier publish, and outside what is published."""
    for item in TREE:
        if folder.is_relative_to((course.root / item.source).resolve()):
            raise CourseError(f"{folder} is inside {item.source}/, which is published itself")
    if folder.exists() and not folder.is_dir():
        raise CourseError(f"{folder} is a file")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MARKER).is_file():
        raise CourseError(f"{folder} is neither empty nor an earlier publish (no {MARKER}): choose another folder")


def _identity(folder: Path) -> list[str]:
    has = subprocess.run(["git", "config", "user.email"], cwd=folder, capture_output=True).returncode == 0
    return [] if has else ["-c", f"user.name={COMMITTER[0]}", "-c", f"user.email={COMMITTER[1]}"]


def _origin(course: Course) -> str:
    """The instructor commit the tree comes from, for the commit message."""
    probe = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=course.root, capture_output=True, text=True)
    if probe.returncode != 0:
        return "an instructor tree outside git"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=course.root,
                           capture_output=True, text=True).stdout.strip()
    return f"instructor commit {probe.stdout.strip()}{' with uncommitted changes' if dirty else ''}"


def commit(course: Course, stage: Path, folder: Path) -> tuple[str, bool]:
    """Make ``folder``'s work tree equal ``stage`` and commit it; (commit id, whether it changed)."""
    if not (folder / ".git").exists():
        folder.mkdir(parents=True, exist_ok=True)
        _git(folder, "init", "--quiet", "--initial-branch=main")
    for rel in filter(None, _git(folder, "ls-files", "-z").split("\0")):
        (folder / rel).unlink(missing_ok=True)
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir() and ".git" not in p.relative_to(folder).parts),
                      key=lambda p: len(p.parts), reverse=True):
        if not any(sub.iterdir()):
            sub.rmdir()
    shutil.copytree(stage, folder, dirs_exist_ok=True)
    _git(folder, "add", "--all")
    changed = bool(_git(folder, "status", "--porcelain"))
    if changed:
        _git(folder, *_identity(folder), "commit", "--quiet", "-m",
             f"Publish LR Lab student material (from {_origin(course)})")
    return _git(folder, "rev-parse", "HEAD"), changed


def run(course: Course, folder: Path, *, log=print) -> Published:
    folder = Path(folder).resolve()
    check_destination(course, folder)
    with tempfile.TemporaryDirectory(prefix="lrlab-publish-") as tmp:
        stage = Path(tmp) / "student"
        stage.mkdir()
        files = build(course, stage)
        found = leaks.scan(stage, course)
        if found:
            shown = "\n".join(f"  {leak}" for leak in found[:30])
            more = f"\n  … and {len(found) - 30} more" if len(found) > 30 else ""
            raise CourseError(f"refusing to publish: {len(found)} piece(s) of instructor material in the "
                              f"student tree (nothing was written):\n{shown}{more}")
        sha, changed = commit(course, stage, folder)
    state = f"new commit {sha[:12]}" if changed else f"unchanged, still {sha[:12]}"
    log(f"Published {len(files)} files to {folder} ({state}); leak scan clean.\n"
        f"Push it where the hub can clone it: git -C {folder} push <remote> main")
    return Published(folder, sha, changed, len(files))
