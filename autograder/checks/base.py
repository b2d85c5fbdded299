"""The contract every hidden check is written against.

A check is a plain function ``(student, rng) -> CheckResult``. It never touches the
student's objects directly: it asks a :class:`~autograder.protocol.Student` for *plain
data* (:mod:`autograder.protocol`). The same check therefore runs

* in-kernel (a hidden test cell calls :func:`autograder.assignments.run_in_kernel`, which
  wraps the kernel's globals in a :class:`LocalStudent`) — used by the instructor's own runs
  and plain ``nbgrader autograde``; not authoritative, since student code shares that process;
* in the sealed scorer, where ``student`` is a proxy to a sandboxed child process and the
  check is the only judge of the answers (authoritative).
"""
from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from autograder.protocol import Plain, Student, StudentError, decode, encode, exception_kinds, to_plain


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
    run: Callable[[Student, Any], CheckResult]
    answer_cells: tuple[str, ...] = ()
    forbidden: frozenset[str] = field(default_factory=frozenset)
    own_cells: tuple[str, ...] | None = None

    @property
    def own(self) -> tuple[str, ...]:
        """The answer cells whose forbidden uses void this check."""
        return self.answer_cells if self.own_cells is None else self.own_cells


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
    """The entries of ``names`` that the source USES: imports, reaches as an attribute, or
    spells as a string (``getattr(module, "StepLR")``, ``import_module("lrlab.range_test")``).

    An entry is a name (``"StepLR"``: a class or function of some module) or a dotted module
    path (``"lrlab.range_test"``: the module and everything in it). A plain name is never a
    use: a local variable, a parameter or the student's own function may be called like a
    forbidden one (``suggested_lr = ...``, ``def range_test(...)``) without using it.
    Static, so the scorer can run it without executing anything (names built at run time are
    the tripwire's job); unparsable source yields ``["<syntax error>"]``.
    """
    wanted = set(names)
    modules = {name for name in wanted if "." in name}
    # what an attribute or a string must be to reach an entry: its own name, or a module's last
    # part; where a module and a name are spelled alike (``lrlab.range_test`` and its function
    # ``range_test``) the module, which covers the name, is the one reported
    reach = {name.rpartition(".")[2]: name for name in sorted(wanted, key=lambda n: ("." in n, n))}

    def module_use(path: str) -> str | None:
        """The forbidden module ``path`` is, or lies inside."""
        return next((m for m in modules if path == m or path.startswith(m + ".")), None)

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ["<syntax error>"]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                hit = module_use(alias.name)
                found.update([hit] if hit else [])
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            for alias in node.names:
                hit = module_use(base) or module_use(f"{base}.{alias.name}")
                if hit:  # a name imported from a forbidden module: the module is reported
                    found.add(hit)
                elif alias.name in wanted:
                    found.add(alias.name)
        elif isinstance(node, ast.Attribute) and node.attr in reach:
            found.add(reach[node.attr])
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            hit = module_use(node.value) or reach.get(node.value)
            found.update([hit] if hit else [])
    return sorted(found)


# --------------------------------------------------------------------------- in-process student


class LocalStudent:
    """A :class:`~autograder.protocol.Student` over a live namespace (a kernel's ``globals()``).

    Answers go through the same :func:`~autograder.protocol.to_plain` + JSON round trip as in
    a sandboxed child, so checks see identical data in both places. Warnings raised by student
    code are captured (a warning on stderr would make nbgrader score the cell 0).
    ``operations`` are the harness operations ``op`` may run (an assignment's
    :class:`~autograder.harness.Harness`). It also stands in for the scorer's sandboxed
    student on trusted code (tests): nothing failed to load, no tripwire.
    """

    load_errors: Mapping[str, str] = MappingProxyType({})
    arms_tripwire = False

    def __init__(self, namespace: Mapping[str, Any], operations: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self._ns = namespace
        self._ops = dict(operations or {})

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

    def new_check(self) -> None:
        """Nothing to time: code in this process runs as long as it runs."""

    def op(self, op_name: str, **params: Plain) -> Plain:
        if op_name not in self._ops:
            raise KeyError(f"unknown harness operation {op_name!r}")
        operation = self._ops[op_name]
        return self._guarded(lambda: operation(self._ns, **params))
