"""Harness operations: what a check may ask the student's side to run (``Student.op``).

They run on the student's side of the trust boundary (inside a sandboxed child, or in the
kernel), so they contain NO references or hidden cases: they only exercise the student's
code the way a check describes and return plain data.

An assignment that needs any declares them in its folder, in ``harness.py``, as one
:class:`Harness`: named operations (``fn(namespace, **params)``) and the classes whose
use the child records from the moment it starts (:mod:`autograder.harness.tripwire`).
The sandbox finds those modules by :func:`discover` — it never imports an assignment by
name, nor anything of an assignment besides its ``harness.py`` (the warm parent refuses to
start when it did) — and every child merges them with :data:`BUILTIN` (the tripwire's
report) into one table (:func:`merged`).
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from autograder.harness import tripwire

#: An operation: ``fn(namespace, **params)`` -> anything :func:`autograder.protocol.to_plain` converts.
Operation = Callable[..., Any]

#: Where assignments live, each in a folder of its own (see ``autograder/assignments``).
ASSIGNMENTS_DIR = Path(__file__).resolve().parents[1] / "assignments"
ASSIGNMENTS_PACKAGE = "autograder.assignments"
#: The module of an assignment folder that holds its :class:`Harness` (as ``HARNESS``).
MODULE_NAME = "harness"


@dataclass(frozen=True)
class Harness:
    """An assignment's public operations (by name) and tripwires (module -> class names)."""

    operations: Mapping[str, Operation] = field(default_factory=dict)
    tripwires: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "operations", MappingProxyType(dict(self.operations)))
        object.__setattr__(self, "tripwires", MappingProxyType({m: frozenset(c) for m, c in self.tripwires.items()}))


#: What every child offers besides the assignments' operations.
BUILTIN = Harness(operations={"tripwire_report": tripwire.report})


def discover(folder: Path = ASSIGNMENTS_DIR, package: str = ASSIGNMENTS_PACKAGE) -> tuple[str, ...]:
    """The module names of every assignment's ``harness.py`` under ``folder`` (not imported)."""
    return tuple(f"{package}.{path.parent.name}.{MODULE_NAME}"
                 for path in sorted(folder.glob(f"*/{MODULE_NAME}.py")) if path.parent.name.isidentifier())


def load(module_name: str) -> Harness:
    """The :class:`Harness` a module declares as ``HARNESS`` (TypeError when it declares none)."""
    declared = getattr(importlib.import_module(module_name), "HARNESS", None)
    if not isinstance(declared, Harness):
        raise TypeError(f"{module_name} must define HARNESS = Harness(...)")
    return declared


def merged(harnesses: Iterable[Harness]) -> Harness:
    """One table of :data:`BUILTIN` and ``harnesses`` (ValueError when two name one operation)."""
    operations: dict[str, Operation] = {}
    tripwires: dict[str, set[str]] = {}
    for harness in (BUILTIN, *harnesses):
        for name, operation in harness.operations.items():
            if operations.setdefault(name, operation) is not operation:
                raise ValueError(f"two harnesses define the operation {name!r}")
        for module, classes in harness.tripwires.items():
            tripwires.setdefault(module, set()).update(classes)
    return Harness({**operations}, {m: frozenset(c) for m, c in tripwires.items()})
