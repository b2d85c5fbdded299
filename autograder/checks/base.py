"""The contract every hidden check is written against.

A check is a plain function ``(student, rng) -> CheckResult``. It never touches the
student's objects directly: it asks a :class:`Student` for *plain data* — call a named
function with JSON-able arguments, read a named value, or run a named harness operation —
and gets back only ``None``/``bool``/``int``/``float``/``str``/``list``/``dict`` values.
The same check therefore runs

* in-kernel (a hidden test cell calls :func:`autograder.checks.run_in_kernel`, which wraps
  the kernel's globals in a :class:`LocalStudent`) — used by the instructor's own runs and
  plain ``nbgrader autograde``; not authoritative, since student code shares that process;
* in the sealed scorer, where ``student`` is a proxy to a sandboxed worker process and the
  check is the only judge of the answers (authoritative).
"""
from __future__ import annotations

import ast
import json
import math
import numbers
import warnings
from types import MappingProxyType
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from autograder.reasons import Reason

Plain = None | bool | int | float | str | list["Plain"] | dict[str, "Plain"]


class StudentError(Exception):
    """The student's code raised (or returned something unusable).

    ``kinds`` lists the builtin exception classes the raised exception is an instance
    of (e.g. ``("ValueError", "Exception", "BaseException")``) so checks can ask
    ``err.is_a("ValueError")`` without ever holding the student's exception object.
    """

    def __init__(self, kinds: Iterable[str], message: str) -> None:
        self.kinds = tuple(kinds)
        self.message = message[:500]
        super().__init__(f"{self.kinds[0] if self.kinds else 'Error'}: {self.message}")

    def is_a(self, kind: str) -> bool:
        return kind in self.kinds


class StudentUnavailable(Exception):
    """The student's process is gone (timeout, crash, memory, output): stop asking it questions."""

    def __init__(self, reason: Reason) -> None:
        self.reason = reason
        super().__init__(str(reason))


class Student(Protocol):
    """What a check may ask of a submission. Every answer is plain data."""

    def has(self, name: str) -> bool:
        """True when the submission defines ``name`` at top level."""

    def call(self, name: str, *args: Plain, **kwargs: Plain) -> Plain:
        """Call the student's function ``name``; raises StudentError if it raises."""

    def call_many(self, name: str, calls: list[tuple[list[Plain], dict[str, Plain]]]) -> list[Plain | StudentError]:
        """Many calls in one round trip; each item is a value or the StudentError it raised."""

    def get(self, name: str) -> Plain:
        """The plain-data value of the student's top-level ``name``."""

    def op(self, op_name: str, **params: Plain) -> Plain:
        """Run a public harness operation (see ``autograder.harness``) on the submission."""


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check.

    ``fraction`` in [0, 1] of the check's points; ``messages`` are student-safe (never
    quote hidden cases in a way that reveals the reference beyond what the notebook
    states); ``basics_ok`` says whether the cases the *visible* test cell asserts also
    hold here (used to flag "passed in the kernel, failed in the scorer").
    """

    fraction: float
    messages: tuple[str, ...] = ()
    basics_ok: bool = True

    def __post_init__(self) -> None:
        if not (isinstance(self.fraction, float | int) and 0.0 <= self.fraction <= 1.0):
            raise ValueError(f"fraction must be in [0, 1], got {self.fraction!r}")


@dataclass(frozen=True)
class Check:
    """One autograded test cell: its nbgrader grade id, points, and the judging function.

    ``answer_cells`` are the grade ids of the solution cells it depends on (feedback names
    the ones that are missing or raised); ``own_cells`` are the ones that ARE its answer
    (default: all of ``answer_cells``). ``forbidden`` are names whose use in an own cell
    voids the check (e.g. PyTorch's built-in schedulers inside a hand-written schedule):
    a forbidden name in a cell the check merely depends on voids only that cell's check.
    """

    grade_id: str
    points: float
    title: str
    run: Callable[["Student", Any], CheckResult]
    answer_cells: tuple[str, ...] = ()
    forbidden: frozenset[str] = field(default_factory=frozenset)
    own_cells: tuple[str, ...] | None = None

    @property
    def own(self) -> tuple[str, ...]:
        """The answer cells whose forbidden uses void this check."""
        return self.answer_cells if self.own_cells is None else self.own_cells


# --------------------------------------------------------------------------- plain data


def to_plain(value: Any, depth: int = 0) -> Plain:
    """Convert an answer to plain data, the only thing that may cross the boundary.

    numpy/torch scalars become ``float``/``int``; tuples become lists. Anything else
    becomes ``{"__unsupported__": "<type name>"}`` so checks can say what was returned.
    Runs on the *student's* side of the boundary: the receiver re-validates everything.
    """
    if depth > 20:
        return {"__unsupported__": "nesting too deep"}
    if value is None or type(value) in (bool, str):
        return value
    if type(value) in (int, float):
        return value
    if isinstance(value, float):  # a float subclass: take the true stored value, not its repr
        return float(float.__repr__(value))
    if isinstance(value, numbers.Integral) and type(value).__module__ == "numpy":
        return int(value)
    if isinstance(value, numbers.Real) and type(value).__module__ == "numpy":
        return float(value)
    if type(value).__module__ == "torch" and type(value).__name__ == "Tensor" and value.numel() == 1:
        return float(value.item()) if value.is_floating_point() else int(value.item())
    if type(value) in (list, tuple):
        return [to_plain(v, depth + 1) for v in value]
    if type(value) is dict:
        return {str(k): to_plain(v, depth + 1) for k, v in value.items() if type(k) is str}
    return {"__unsupported__": type(value).__name__}


def encode(value: Plain) -> str:
    """JSON text of plain data (NaN and ±inf allowed, as Python's json writes them)."""
    return json.dumps(value, allow_nan=True)


def decode(text: str) -> Plain:
    """Parse JSON text into plain data; the only deserialiser used on untrusted answers."""
    return json.loads(text)


def exception_kinds(exc: BaseException) -> list[str]:
    """Names of the builtin exception classes ``exc`` is an instance of (most specific first)."""
    import builtins

    return [
        cls.__name__
        for cls in type(exc).__mro__
        if cls.__module__ == "builtins" and isinstance(getattr(builtins, cls.__name__, None), type)
    ]


# --------------------------------------------------------------------------- judging helpers


def as_float(value: Plain) -> float | None:
    """The value as a float when it is exactly an int or float (bools are not numbers)."""
    if type(value) in (int, float):
        return float(value)
    return None


def close(value: Plain, expected: float, rel: float = 1e-9, abs_tol: float = 1e-12) -> bool:
    """Finite-aware comparison done entirely on trusted plain floats."""
    got = as_float(value)
    if got is None:
        return False
    if math.isnan(expected):
        return math.isnan(got)
    if not math.isfinite(got) or not math.isfinite(expected):
        return got == expected
    return math.isclose(got, expected, rel_tol=rel, abs_tol=abs_tol)


def forbidden_uses(source: str, names: Iterable[str]) -> list[str]:
    """Names from ``names`` that the source refers to (as a name, attribute or import).

    Static, so the scorer can run it without executing anything; unparsable source
    yields ``["<syntax error>"]``.
    """
    wanted = set(names)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ["<syntax error>"]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in wanted:
            found.add(node.id)
        elif isinstance(node, ast.Attribute) and node.attr in wanted:
            found.add(node.attr)
        elif isinstance(node, ast.ImportFrom | ast.Import):
            found.update(a.name.split(".")[-1] for a in node.names if a.name.split(".")[-1] in wanted)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in wanted:
            found.add(node.value)
    return sorted(found)


# --------------------------------------------------------------------------- in-process student


class LocalStudent:
    """A :class:`Student` over a live namespace (a kernel's ``globals()``).

    Answers go through the same :func:`to_plain` + JSON round trip as in the worker,
    so checks see identical data in both places. Warnings raised by student code are
    captured (a warning on stderr would make nbgrader score the cell 0). It also stands in
    for a scorer's worker on trusted code (tests): nothing failed to load, no tripwire.
    """

    load_errors: Mapping[str, str] = MappingProxyType({})
    arms_tripwire = False

    def __init__(self, namespace: Mapping[str, Any], harness_ops: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self._ns = namespace
        self._ops = harness_ops

    def has(self, name: str) -> bool:
        return name in self._ns

    def _lookup(self, name: str) -> Any:
        if name not in self._ns:
            raise StudentError(["NameError", "Exception", "BaseException"], f"name {name!r} is not defined")
        return self._ns[name]

    def _guarded(self, fn: Callable[[], Any]) -> Plain:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result = fn()
            except StudentError:
                raise
            except Exception as exc:  # the student's exception, reduced to plain data
                raise StudentError(exception_kinds(exc), str(exc)) from None
        return decode(encode(to_plain(result)))

    def call(self, name: str, *args: Plain, **kwargs: Plain) -> Plain:
        fn = self._lookup(name)
        return self._guarded(lambda: fn(*args, **kwargs))

    def call_many(self, name: str, calls: list[tuple[list[Plain], dict[str, Plain]]]) -> list[Plain | StudentError]:
        results: list[Plain | StudentError] = []
        for args, kwargs in calls:
            try:
                results.append(self.call(name, *args, **kwargs))
            except StudentError as err:
                results.append(err)
        return results

    def get(self, name: str) -> Plain:
        value = self._lookup(name)
        return self._guarded(lambda: value)

    def close(self) -> None:
        """Nothing to release: the namespace belongs to its kernel."""

    def op(self, op_name: str, **params: Plain) -> Plain:
        if self._ops is None:
            from autograder.harness import OPS

            self._ops = OPS
        if op_name not in self._ops:
            raise KeyError(f"unknown harness operation {op_name!r}")
        operation = self._ops[op_name]
        return self._guarded(lambda: operation(self._ns, **params))
