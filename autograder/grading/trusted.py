"""The trusted assignment: everything about one assignment a worker needs, built ONCE per run.

The coordinator (:func:`autograder.grade.run`) calls :func:`load_assignment` before grading
and hands the frozen result to every task, so no worker re-reads the release or the
gradebook per submission (it used to, whenever ``gradebook.db`` changed — after every
submission). It holds the release notebook cross-checked against nbgrader's gradebook
(:func:`autograder.grading.validate.trusted_notebook`), the data files the release ships beside the
notebook (written into the kernel's cwd for the feedback run), and a digest of both that keys
each worker's cache of static outputs (:mod:`autograder.grading.execute`).
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.course import Course, CourseError
from autograder.grading.validate import TrustedMismatch, TrustedNotebook, read_gradebook, trusted_notebook

MAX_DATA_FILE_BYTES = 8 * 2**20


@dataclass(frozen=True)
class TrustedAssignment:
    """One assignment as released: read-only, picklable (it travels to pool and Dask workers)."""

    course_root: str
    name: str
    trusted: TrustedNotebook
    files: Mapping[str, str]
    digest: str


def release_files(folder: Path, max_bytes: int = MAX_DATA_FILE_BYTES) -> dict[str, str]:
    """The data files a release folder ships beside the notebook (text only), for the kernel's cwd."""
    files: dict[str, str] = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.suffix == ".ipynb" or not path.is_file() or path.is_symlink() or path.stat().st_size > max_bytes:
            continue
        try:
            files[path.name] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
    return files


def load_assignment(course: Course, name: str) -> TrustedAssignment:
    """Read ``release/<name>/<name>.ipynb``, cross-check it with the gradebook, read its data files.

    Raises :class:`~autograder.course.CourseError` (one clear line, nothing graded) when the
    release is missing or disagrees with the gradebook: an instructor problem, not a student's.
    """
    folder = course.path("release", ".", name)
    path = folder / f"{name}.ipynb"
    try:
        notebook = nbformat.read(path, as_version=4)
        trusted = trusted_notebook(name, notebook, read_gradebook(course.db_url, name, name))
    except (OSError, ValueError) as err:  # TrustedMismatch is a ValueError
        kind = "does not match the gradebook" if isinstance(err, TrustedMismatch) else "cannot be read"
        raise CourseError(f"release/{name} {kind}: {str(err)[:300]}") from None
    files = release_files(folder)
    text = nbformat.writes(notebook) + repr(sorted(files.items()))
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return TrustedAssignment(str(course.root), name, trusted, files, digest)
