"""The plain-data protocol between a check and a student's code: the only thing that crosses.

A check never touches the student's objects. It asks a :class:`Student` for *plain data* —
call a named function with JSON-able arguments, read a named value, or run a named harness
operation — and gets back only ``None``/``bool``/``int``/``float``/``str``/``list``/``dict``
(:data:`Plain`). The same words serve three places, which is why they live here, below all
of them:

* the sandbox (:mod:`autograder.sandbox`): its child converts answers with :func:`to_plain`
  and :func:`encode`, the trusted side parses them with :func:`decode`, re-checks them with
  :func:`is_plain` and turns an error payload back into a :class:`StudentError`
  (:func:`error_from_wire`);
* the checks (:mod:`autograder.checks`): written against :class:`Student`, they see
  :class:`StudentError` when the student's code raised;
* the scorer (:mod:`autograder.grading.scorer`): :class:`StudentUnavailable` says the
  student's process is gone, with its :class:`~autograder.reasons.Reason`; :class:`CellTimedOut`
  that one answer cell ran past its time limit while the program loaded.

Nothing here imports an assignment, a check or the sandbox.
"""
from __future__ import annotations

import builtins
import json
import numbers
from collections.abc import Iterable
from typing import Any, Protocol

from autograder.reasons import Reason

Plain = None | bool | int | float | str | list["Plain"] | dict[str, "Plain"]

#: How deep plain data may nest before it is refused.
MAX_DEPTH = 50


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


class CellTimedOut(StudentUnavailable):
    """Loading stopped at one cell: ``cell`` (its label) ran longer than ``seconds``. The
    program may load without it: a cell that timed out counts as a cell that raised."""

    def __init__(self, cell: str, seconds: float) -> None:
        super().__init__(Reason.TIMEOUT)
        self.cell = cell
        self.seconds = seconds

    @property
    def error(self) -> str:
        """The cell's load error, as a cell that raised reports it (``"Type: message"``)."""
        return f"TimeoutError: it ran longer than {self.seconds:g} s, the time an answer cell may take"


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
        """Run a public harness operation (an assignment's :class:`~autograder.harness.Harness`)."""


# --------------------------------------------------------------------------- the student's side


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


def exception_kinds(exc: BaseException) -> list[str]:
    """Names of the builtin exception classes ``exc`` is an instance of (most specific first)."""
    return [
        cls.__name__
        for cls in type(exc).__mro__
        if cls.__module__ == "builtins" and isinstance(getattr(builtins, cls.__name__, None), type)
    ]


def error_payload(exc: BaseException) -> dict[str, Any]:
    """What the student's side sends for an exception: its builtin kinds and its message."""
    try:
        kinds = exception_kinds(exc)
    except BaseException:  # noqa: BLE001 - a student's class may break introspection
        kinds = ["BaseException"]
    try:
        message = str(exc)[:500]
    except BaseException:  # noqa: BLE001 - a student's __str__ may raise anything
        message = "<unprintable exception>"
    return {"kinds": kinds, "message": message}


# --------------------------------------------------------------------------- both sides


def encode(value: Plain) -> str:
    """JSON text of plain data (NaN and ±inf allowed, as Python's json writes them)."""
    return json.dumps(value, allow_nan=True)


def decode(text: str) -> Plain:
    """Parse JSON text into plain data; the only deserialiser used on untrusted answers."""
    return json.loads(text)


# --------------------------------------------------------------------------- the trusted side


def is_plain(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is plain data of exactly the builtin types (what the trusted side
    accepts from a child, after :func:`decode`)."""
    if depth > MAX_DEPTH:
        return False
    if value is None or type(value) in (bool, int, float, str):
        return True
    if type(value) is list:
        return all(is_plain(v, depth + 1) for v in value)
    if type(value) is dict:
        return all(type(k) is str and is_plain(v, depth + 1) for k, v in value.items())
    return False


def error_from_wire(payload: Any) -> StudentError:
    """The :class:`StudentError` an error payload stands for (a malformed one is a TypeError)."""
    if (type(payload) is dict and type(payload.get("kinds")) is list
            and all(type(k) is str for k in payload["kinds"]) and type(payload.get("message")) is str):
        return StudentError([k[:64] for k in payload["kinds"][:20]], payload["message"])
    return StudentError(["TypeError", "Exception", "BaseException"], "malformed answer from the student's process")
