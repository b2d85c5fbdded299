"""The assignments: one folder each, one typed :class:`Assignment` each, found by discovery.

An assignment lives in ``autograder/assignments/<name>/`` (``<name>`` is its nbgrader id and
its ``source/<name>/`` folder; the authoring guide is ``README.md`` here)::

    assignment.py   ASSIGNMENT = Assignment(name=..., checks=..., ...)       (required)
    samples/        answer sets: correct.py (required), partial*.py, wrong*.py (required)
    checks.py       the hidden checks, when assignment.py does not hold them
    harness.py      HARNESS = Harness(...): operations the checks run on the student's side
    ...             calibration scripts, held-out data, a README

Nothing outside the folder lists it: the grader, the sandbox, the demo, the tests and the
leak scanner find it here (:func:`names`, :func:`get`). The folders are namespace packages
(no ``__init__.py``): the sandbox imports an assignment's ``harness.py`` (found by
:func:`autograder.harness.discover`) without running anything else of the folder, and this
module imports no assignment until asked for one — the sandbox imports it on the way.

:class:`Assignment` takes keyword arguments only and every field past the checks has a
default, so a new per-assignment setting is one new field with a default: every existing
assignment keeps working unchanged.
"""
from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from autograder import REPO_ROOT
from autograder.harness import ASSIGNMENTS_DIR, Harness

if TYPE_CHECKING:  # the checks are imported with an assignment, never with this module
    from autograder.checks import Check, CheckResult
    from autograder.protocol import Student

#: The module of an assignment folder that declares it (as ``ASSIGNMENT``).
MODULE_NAME = "assignment"
#: The folder of an assignment's answer sets, and the prefixes of their names: ``correct*`` earn
#: full marks (``correct.py`` is required), ``partial*`` some, ``wrong*`` fewer than full.
SAMPLES = "samples"
SAMPLE_KINDS = ("correct", "partial", "wrong")


class UnknownAssignment(ValueError):
    """No folder declares an assignment of that name."""


@dataclass(frozen=True)
class HeldOut:
    """Instructor-only data of an assignment that must never reach students, as the publish
    gate (:mod:`autograder.leaks`) looks for it: the ``ids`` of held-out items, held-out
    value ``series`` (a run of a few consecutive values is evidence, unless it also occurs in
    one of the ``public_series``) and an ``answer_key`` (question -> answer: the two written
    side by side is evidence)."""

    ids: frozenset[str] = frozenset()
    series: tuple[tuple[float | str, ...], ...] = ()
    public_series: tuple[tuple[float | str, ...], ...] = ()
    answer_key: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Assignment:
    """One assignment as the autograder knows it.

    ``name`` — the nbgrader assignment id, its ``source/<name>/`` folder and its folder here;
    ``checks`` — one :class:`~autograder.checks.Check` per autograded test cell;
    ``manual_points`` — the written answers graded by hand in the formgrader (grade id ->
    points): with the checks they make up every graded cell of the notebook;
    ``trusted_imports`` — modules the checks import on first use (the grader imports them
    before a sandboxed child's clock starts);
    ``harness`` — the operations the checks may run on the student's side, and its tripwires;
    ``held_out`` — reads the held-out data the publish gate guards (loaded only when asked);
    ``case_seed`` — the seed every check's random cases are drawn from (:meth:`seed_for`): the
    same for every student, so the same code earns the same score; a new seed draws new cases
    (e.g. for a new term).
    """

    name: str
    checks: tuple[Check, ...]
    manual_points: Mapping[str, float] = field(default_factory=dict)
    trusted_imports: tuple[str, ...] = ()
    harness: Harness = field(default_factory=Harness)
    held_out: Callable[[], HeldOut] | None = None
    case_seed: int = 0

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"assignment name {self.name!r} must be a Python identifier (it names a folder)")
        ids = [check.grade_id for check in self.checks]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self.name}: two checks share a grade id")
        if set(ids) & set(self.manual_points):
            raise ValueError(f"{self.name}: a grade id is both a check and a manual answer")
        if not isinstance(self.harness, Harness):
            raise TypeError(f"{self.name}: harness must be a Harness")
        if type(self.case_seed) is not int:
            raise TypeError(f"{self.name}: case_seed must be an int")
        object.__setattr__(self, "checks", tuple(self.checks))
        object.__setattr__(self, "manual_points", MappingProxyType(dict(self.manual_points)))
        object.__setattr__(self, "trusted_imports", tuple(self.trusted_imports))

    # ------------------------------------------------------------------ where its parts are

    @property
    def folder(self) -> Path:
        """``autograder/assignments/<name>/``."""
        return folder(self.name)

    @property
    def samples(self) -> Path:
        """The folder of its answer sets (:mod:`autograder.submissions`)."""
        return samples(self.name)

    def source_notebook(self, root: Path = REPO_ROOT) -> Path:
        """``source/<name>/<name>.ipynb`` of a course root (default: this repository)."""
        return root / "source" / self.name / f"{self.name}.ipynb"

    # ------------------------------------------------------------------ what it grades

    @property
    def checks_by_id(self) -> dict[str, Check]:
        """The checks keyed by the grade id of their test cell, in notebook order."""
        return {check.grade_id: check for check in self.checks}

    @property
    def points(self) -> float:
        """Autograded points plus manually graded points."""
        return sum(check.points for check in self.checks) + sum(self.manual_points.values())

    def seed_for(self, grade_id: str) -> int:
        """The seed of one check's random cases: from the assignment's ``case_seed`` and the
        check, never from who the student is (stable across processes; the one place the
        sealed scorer and the kernel get it from)."""
        digest = hashlib.sha256(f"{self.name}\0{self.case_seed}\0{grade_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big")

    def evaluate(self, grade_id: str, student: Student) -> CheckResult:
        """Check ``grade_id`` on one submission's answers: how the sealed scorer and the kernel
        (:func:`run_in_kernel`) judge alike, with the same cases for every student."""
        from autograder.checks import evaluate

        return evaluate(self.checks_by_id[grade_id], student, self.seed_for(grade_id))


def names(where: Path = ASSIGNMENTS_DIR) -> tuple[str, ...]:
    """Every assignment with a folder here (found on disk; nothing is imported)."""
    return tuple(sorted(p.parent.name for p in where.glob(f"*/{MODULE_NAME}.py") if p.parent.name.isidentifier()))


def folder(name: str) -> Path:
    """The folder of assignment ``name`` (without importing its checks)."""
    if name not in names():
        raise UnknownAssignment(f"unknown assignment {name!r}; known: {', '.join(names()) or 'none'}")
    return ASSIGNMENTS_DIR / name


def samples(name: str) -> Path:
    """The folder of assignment ``name``'s answer sets (without importing its checks)."""
    return folder(name) / SAMPLES




@cache
def get(name: str) -> Assignment:
    """The assignment ``name`` (its checks imported); :class:`UnknownAssignment` when none."""
    folder(name)
    module = importlib.import_module(f"{__name__}.{name}.{MODULE_NAME}")
    declared = getattr(module, "ASSIGNMENT", None)
    if not isinstance(declared, Assignment) or declared.name != name:
        raise TypeError(f"{module.__name__} must define ASSIGNMENT = Assignment(name={name!r}, ...)")
    return declared


def run_in_kernel(assignment: str, grade_id: str, namespace: Mapping[str, Any]) -> float:
    """Score one check on the live kernel namespace; print its messages; return points.

    What a hidden test cell in ``source/`` calls (its value is the cell's partial-credit
    score), so neither the release nor nbgrader's gradebook ever holds the cases or
    references. Not authoritative: the sealed scorer recomputes every score outside the
    student's process.
    """
    from autograder.checks import LocalStudent

    declared = get(assignment)
    check = declared.checks_by_id[grade_id]
    result = declared.evaluate(grade_id, LocalStudent(namespace, declared.harness.operations))
    for message in result.messages:
        print(message)
    points = round(check.points * result.fraction, 2)
    print(f"{check.title}: {points:g} / {check.points:g}")
    return points
