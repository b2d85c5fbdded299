"""A run-time tripwire on forbidden classes and functions (student side of the boundary; public).

Static detection (:func:`autograder.checks.forbidden_uses`) sees names written in the
source; a name built at run time (``getattr(lr_scheduler, "Step" + "LR")``, ``importlib``,
``eval``) slips past it. A sandboxed child therefore arms this tripwire BEFORE any student code
runs, on the names an assignment declares (its :class:`~autograder.harness.Harness`'s
``tripwires``: module -> names):

* a **class**: every function and property it defines itself (``__init__``, ``get_lr``,
  ``_get_closed_form_lr``, ``step`` …) is wrapped, in place, so using the class in any way that
  runs its code trips the wire (instantiating it, subclassing and instantiating the subclass,
  calling one of its methods on another object, reading one of its properties);
* a **function** (``lrlab.range_test.range_test``, say): it is replaced by a wrapper in its
  module and wherever a loaded module holds it under another name (``from … import``), so
  calling it trips the wire however it was reached.

A tripped wire notes which answer cells were on the call stack: answer cells are compiled
with the file name ``<grade_id>`` (see :mod:`autograder.sandbox._child`), so the cells are
read from the frames. The warm parent arms every assignment's wires once, before it forks
any child. The wire does not import a module itself: if it is loaded already (the warm parent
preloads torch and lrlab) it is armed at once, otherwise an import hook on ``sys.meta_path``
arms it the moment the module's code has run, before anyone can use it.

**Where a hit goes.** Everything in this module shares the process with the student's code
and could be undone by it, so its in-process record (``Tripwire.uses``) is advisory. Each hit
is also written, at once and before the forbidden code runs on, as one line
(:func:`hit_line`) to the child's *report descriptor*: a socket whose other end only the
trusted side holds (it reads it, :mod:`autograder.sandbox.hits`); the child can neither read
back, rewrite nor reopen what it wrote there. A scrub of the in-process record afterwards
changes nothing. The trusted side asks for :func:`report` (the built-in harness operation
``tripwire_report``) with a nonce it chose: every armed name is then exercised once from a
probe frame named after the nonce, and the trusted side expects one probe hit per name on the
report descriptor — a wire switched off before use (wrappers removed, the descriptor closed
or redirected) shows as a missing probe hit.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

PROBE_PREFIX = "tripwire-probe-"
#: A keyword only the probe passes to a wrapped function: the wrapper reports and returns
#: without running the function (a probe must not train a model).
PROBE_KEYWORD = "__lrlab_tripwire_probe__"
_LABEL = re.compile(r"<([A-Za-z0-9_:\-]+)>")  # "<step_decay_answer>", "<setup:1>"
#: One report line: ``<cell label> <forbidden name>\n``.
HIT = re.compile(rb"([A-Za-z0-9_:\-]{1,200}) ([A-Za-z0-9_.]{1,200})")


def hit_line(label: str, name: str) -> bytes:
    """The report line of one hit (what the trusted side parses with :data:`HIT`)."""
    return f"{label} {name}\n".encode()


@dataclass(frozen=True)
class Hits:
    """What the trusted side read from a child's report descriptor: the ``(cell label, name)``
    pairs reported, and whether anything but well-formed hit lines came (tampering)."""

    uses: frozenset[tuple[str, str]] = frozenset()
    malformed: bool = False


class Tripwire:
    """Wraps the named classes and functions of one module and records who ran them."""

    def __init__(self, module_name: str, names: Iterable[str]) -> None:
        self.module_name = module_name
        self.names = tuple(sorted(names))
        self.uses: set[tuple[str, str]] = set()  # (cell label, name): advisory, see the module doc
        self._saved: list[tuple[Any, str, Any]] = []  # (owner, attribute, original)

    def arm(self) -> None:
        """Arm now if the module is loaded, else when it is first imported (without importing it)."""
        module = sys.modules.get(self.module_name)
        if module is not None:
            self.wrap(module)
        else:
            sys.meta_path.insert(0, _ArmOnImport(self))

    def wrap(self, module: ModuleType) -> None:
        """Wrap every named class's own functions and every named function (see the module doc)."""
        for name in self.names:
            target = getattr(module, name, None)
            if isinstance(target, type):
                for attr, value in list(vars(target).items()):
                    wrapped = self._wrap(name, value)
                    if wrapped is not None:
                        self._replace(target, attr, value, wrapped)
            elif callable(target):
                wrapped = self._wrap(name, target)
                for holder in _holders(target):
                    for attr, value in list(vars(holder).items()):
                        if value is target:
                            self._replace(holder, attr, value, wrapped)

    def _replace(self, owner: Any, attr: str, value: Any, wrapped: Any) -> None:
        self._saved.append((owner, attr, value))
        setattr(owner, attr, wrapped)

    def disarm(self) -> None:
        """Put the originals back (trusted in-process use only, e.g. tests)."""
        sys.meta_path[:] = [f for f in sys.meta_path if not (isinstance(f, _ArmOnImport) and f.wire is self)]
        for owner, attr, value in reversed(self._saved):
            setattr(owner, attr, value)
        self._saved.clear()

    def _wrap(self, name: str, value: Any) -> Any:
        if isinstance(value, staticmethod | classmethod):
            inner = self._wrap(name, value.__func__)
            return type(value)(inner) if inner is not None else None
        if isinstance(value, property):  # reading a forbidden class's property runs its code too
            return property(*(self._wrap(name, f) if f is not None else None
                              for f in (value.fget, value.fset, value.fdel)), value.__doc__)
        if not callable(value) or isinstance(value, type):
            return None
        record = self._record

        def tripped(*args: Any, **kwargs: Any) -> Any:
            record(name)
            if kwargs.get(PROBE_KEYWORD) is True:
                return None
            return value(*args, **kwargs)

        tripped.__name__ = getattr(value, "__name__", "tripped")
        tripped.__qualname__ = getattr(value, "__qualname__", tripped.__name__)
        tripped.__doc__ = getattr(value, "__doc__", None)
        return tripped

    def _record(self, name: str) -> None:
        frame = sys._getframe(2)
        while frame is not None:
            label = _LABEL.fullmatch(frame.f_code.co_filename)
            if label:
                self.uses.add((label.group(1), name))
                _report(label.group(1), name)
            frame = frame.f_back

    def probe(self, nonce: str) -> bool:
        """Run every armed name once from a frame labelled with ``nonce``; True if each was
        recorded in process (the trusted side looks for the same on the report descriptor)."""
        module = importlib.import_module(self.module_name)
        label = PROBE_PREFIX + nonce
        code = compile("_run(_target)", f"<{label}>", "exec")
        for name in self.names:
            target = getattr(module, name, None)
            if target is None:
                continue
            try:
                exec(code, {"_run": _exercise, "_target": target})  # noqa: S102 - our own probe code
            except Exception:  # noqa: BLE001 - a probe that fails to construct still counts as run
                pass
        found = {use for use in self.uses if use[0] == label}
        self.uses -= found
        return {name for _, name in found} >= {n for n in self.names if getattr(module, n, None) is not None}


def _holders(function: Callable[..., Any]) -> list[ModuleType]:
    """Every loaded module that holds ``function`` (its own module first)."""
    own = sys.modules.get(getattr(function, "__module__", "") or "")
    others = [m for m in list(sys.modules.values()) if m is not own and isinstance(m, ModuleType)
              and any(v is function for v in vars(m).values())]
    return ([own] if own is not None else []) + others


class _ArmOnImport(importlib.abc.MetaPathFinder):
    """Finds the wire's module through the other finders and arms the wire once it has run."""

    def __init__(self, wire: Tripwire) -> None:
        self.wire = wire

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        if fullname != self.wire.module_name:
            return None
        spec = None
        for finder in (f for f in list(sys.meta_path) if f is not self and hasattr(f, "find_spec")):
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _ArmAfterExec(spec.loader, self)
        return spec


class _ArmAfterExec(importlib.abc.Loader):
    """Runs the module with its own loader, then arms the wire and retires the hook."""

    def __init__(self, loader: Any, finder: _ArmOnImport) -> None:
        self.loader = loader
        self.finder = finder

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self.loader  # inspect/linecache read the source through the real loader
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        self.finder.wire.wrap(module)
        if self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)


def _exercise(target: Any) -> None:
    """Use ``target`` the way an answer would: a class is constructed on a throw-away
    optimizer (how an answer uses a scheduler); a function is called with the probe keyword."""
    if not isinstance(target, type):
        target(**{PROBE_KEYWORD: True})
        return
    import torch

    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    target(optimizer)


_ARMED: list[Tripwire] = []
_REPORT_FD: int | None = None  # the child's report descriptor, once armed with one


def _report(label: str, name: str) -> None:
    """Write one hit to the report descriptor (nothing when there is none or it was broken:
    the probe shows that)."""
    if _REPORT_FD is not None:
        with contextlib.suppress(OSError):
            os.write(_REPORT_FD, hit_line(label, name))


def arm(wires: dict[str, Iterable[str]]) -> None:
    """Arm one tripwire per ``{module name: forbidden names}`` (once per process: the warm
    parent arms them before it forks any child)."""
    for module_name, names in wires.items():
        wire = Tripwire(module_name, names)
        wire.arm()
        _ARMED.append(wire)


def report_to(fd: int | None) -> None:
    """From now on, also write every hit to ``fd`` (a child's report descriptor)."""
    global _REPORT_FD
    _REPORT_FD = fd


def disarm_all() -> None:
    """Undo :func:`arm` and :func:`report_to` (trusted in-process use only)."""
    while _ARMED:
        _ARMED.pop().disarm()
    report_to(None)


def report(namespace: Any = None, nonce: str = "") -> dict[str, Any]:
    """``{"uses": [[cell, name], …], "armed": bool}``, the in-process record (advisory: the
    trusted side reads the report descriptor), after exercising every armed name from a probe
    frame named after ``nonce``. ``armed`` is False when no wire was armed or a probe went
    unrecorded."""
    del namespace  # the harness calling convention; the records are process-wide
    armed = bool(_ARMED) and all([wire.probe(nonce) for wire in _ARMED])
    uses = sorted({use for wire in _ARMED for use in wire.uses})
    return {"uses": [list(use) for use in uses], "armed": armed}
