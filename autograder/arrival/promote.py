"""The counting attempt becomes the student's submission: ``submitted/``, ``outcomes/``, the gradebook.

nbgrader's ``collect`` puts a student's newest submission in ``submitted/<student>/<assignment>/``;
grading on arrival puts the attempt that counts there instead (:func:`autograder.arrival.attempts.counting`),
with its executed notebook in ``autograded/``, its outcome as the student's record
(``outcomes/<assignment>/<student>.json``) and its scores and late penalty in nbgrader's
gradebook — written as ``grade`` writes them (:func:`autograder.gradebook.write_outcome`,
:func:`autograder.grade.recording.record_lateness`). Everything downstream (``grade``, which
finds the record current; ``feedback``, ``export``, ``report``, the formgrader) works on it
unchanged. Each step is idempotent, so a promotion cut short is simply done again.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from autograder import store
from autograder.arrival.attempts import AttemptRecord, AttemptStore
from autograder.course import Course
from autograder.grade.recording import record_lateness
from autograder.gradebook import write_outcome
from autograder.lateness import LatePolicy
from autograder.outcome import Outcome


def digest(outcome: Outcome) -> str:
    """What :attr:`AttemptRecord.promoted` holds: which version of an outcome was promoted."""
    return hashlib.sha256(outcome.to_json().encode()).hexdigest()[:16]


def is_promoted(course: Course, record: AttemptRecord, outcome: Outcome) -> bool:
    """The student's submission, record and gradebook are this attempt's outcome already."""
    main = store.read(course.root, record.assignment, record.student)
    return (record.promoted == digest(outcome) and main is not None
            and main.submission_hash == outcome.submission_hash
            and course.path("submitted", record.student, record.assignment).is_dir())


def promote(course: Course, attempts: AttemptStore, record: AttemptRecord, outcome: Outcome, gb: Any,
            late: LatePolicy) -> Outcome:
    """Make ``record``'s attempt the student's submission (see the module doc); returns the
    outcome as recorded (its late penalty as the gradebook assigned it)."""
    folder = attempts.folder(record.assignment, record.student, record.attempt)
    submitted = course.path("submitted", record.student, record.assignment)
    if not submitted.is_dir() or store.submission_hash(submitted, record.assignment) != outcome.submission_hash:
        _replace_folder(folder / "submitted", submitted, course.group_shared)
    executed = folder / "autograded" / f"{record.assignment}.ipynb"
    target = course.path("autograded", record.student, record.assignment)
    if executed.is_file():
        store.atomic_write_bytes(target / executed.name, executed.read_bytes(), group_shared=course.group_shared)
        stamp = folder / "autograded" / "timestamp.txt"
        if stamp.is_file():
            store.atomic_write_bytes(target / stamp.name, stamp.read_bytes(), group_shared=course.group_shared)
    else:  # never show the executed notebook of another attempt
        (target / executed.name).unlink(missing_ok=True)
    previous = store.read(course.root, record.assignment, record.student)
    main = Outcome.from_json(outcome.to_json())
    store.write(course.root, main, group_shared=course.group_shared)
    write_outcome(gb, course, main, submission_changed=previous is not None
                  and previous.submission_hash != main.submission_hash)
    record_lateness(course, gb, late, main)
    record.promoted = digest(outcome)
    attempts.write_record(record)
    return main


def _replace_folder(source: Path, target: Path, group_shared: bool) -> None:
    """``target`` becomes a copy of ``source``: copied beside it, then swapped in by renames
    (a kill between them leaves no ``target``, and the next promotion copies again)."""
    store.make_dirs(target.parent, group_shared=group_shared)
    token = secrets.token_hex(6)
    fresh, old = target.parent / f".{target.name}.new.{token}", target.parent / f".{target.name}.old.{token}"
    for leftover in target.parent.glob(f".{target.name}.*"):  # from a promotion that was cut short
        shutil.rmtree(leftover, ignore_errors=True)
    shutil.copytree(source, fresh, symlinks=True)
    if target.exists():
        os.rename(target, old)
    os.rename(fresh, target)
    with contextlib.suppress(OSError):
        shutil.rmtree(old)
