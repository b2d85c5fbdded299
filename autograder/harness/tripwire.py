"""A run-time tripwire on forbidden classes (student side of the boundary; public).

Static detection (:func:`autograder.checks.forbidden_uses`) sees names written in the
source; a name built at run time (``getattr(lr_scheduler, "Step" + "LR")``, ``importlib``,
``eval``) slips past it. A sandboxed child therefore arms this tripwire BEFORE any student code
runs: every function defined by a forbidden class itself (``__init__``, ``get_lr``,
``_get_closed_form_lr``, ``step`` …) is wrapped, in place, so that running it records
which answer cells were on the call stack. Answer cells are compiled with the file name
``<grade_id>`` (see :mod:`autograder.sandbox._child`), so the cells are read from the frames.
The wire does not import the module itself: if it is loaded already (the warm parent
preloads torch) it is armed at once, otherwise an import hook on ``sys.meta_path`` arms it
the moment the module's code has run, before anyone can use it, so a child that does not
need torch never imports it and a student who imports it later is still caught.
Using a class in any way that runs its code trips the wire: instantiating it, subclassing
and instantiating the subclass, calling one of its methods on another object.

The trusted side asks for :func:`report` (the built-in harness operation ``tripwire_report``) and voids
the checks whose own answer cells used a forbidden class. ``report`` also exercises the
wire once from a probe frame named after a nonce the trusted side chose: if that use is not
recorded, the wire was disarmed (which only deliberate tampering does) and says so.
Everything here shares the process with the student's code and could be undone by it; the
probe makes undoing it visible instead of silent.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import re
import sys
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any

PROBE_PREFIX = "tripwire-probe-"
_LABEL = re.compile(r"<([A-Za-z0-9_:\-]+)>")  # "<step_decay_answer>", "<setup:1>"


class Tripwire:
    """Wraps the functions of the named classes of one module and records who ran them."""

    def __init__(self, module_name: str, class_names: Iterable[str]) -> None:
        self.module_name = module_name
        self.class_names = tuple(sorted(class_names))
        self.uses: set[tuple[str, str]] = set()  # (cell label, class name)
        self._saved: list[tuple[type, str, Any]] = []

    def arm(self) -> None:
        """Arm now if the module is loaded, else when it is first imported (without importing it)."""
        module = sys.modules.get(self.module_name)
        if module is not None:
            self.wrap_classes(module)
        else:
            sys.meta_path.insert(0, _ArmOnImport(self))

    def wrap_classes(self, module: ModuleType) -> None:
        """Wrap every function each forbidden class defines itself (not the ones it inherits)."""
        for name in self.class_names:
            cls = getattr(module, name, None)
            if not isinstance(cls, type):
                continue
            for attr, value in list(vars(cls).items()):
                wrapped = self._wrap(name, value)
                if wrapped is not None:
                    self._saved.append((cls, attr, value))
                    setattr(cls, attr, wrapped)

    def disarm(self) -> None:
        """Put the original functions back (trusted in-process use only, e.g. tests)."""
        sys.meta_path[:] = [f for f in sys.meta_path if not (isinstance(f, _ArmOnImport) and f.wire is self)]
        for cls, attr, value in reversed(self._saved):
            setattr(cls, attr, value)
        self._saved.clear()

    def _wrap(self, class_name: str, value: Any) -> Any:
        if isinstance(value, staticmethod | classmethod):
            inner = self._wrap(class_name, value.__func__)
            return type(value)(inner) if inner is not None else None
        if not callable(value) or isinstance(value, type):
            return None
        record = self._record

        def tripped(*args: Any, **kwargs: Any) -> Any:
            record(class_name)
            return value(*args, **kwargs)

        tripped.__name__ = getattr(value, "__name__", "tripped")
        tripped.__qualname__ = getattr(value, "__qualname__", tripped.__name__)
        tripped.__doc__ = getattr(value, "__doc__", None)
        return tripped

    def _record(self, class_name: str) -> None:
        frame = sys._getframe(2)
        while frame is not None:
            label = _LABEL.fullmatch(frame.f_code.co_filename)
            if label:
                self.uses.add((label.group(1), class_name))
            frame = frame.f_back

    def probe(self, nonce: str) -> bool:
        """Run one forbidden function from a frame labelled with ``nonce``; True if recorded."""
        module = importlib.import_module(self.module_name)
        label = PROBE_PREFIX + nonce
        target = next((getattr(module, n, None) for n in self.class_names if isinstance(getattr(module, n, None), type)), None)
        if target is None:
            return False
        code = compile("_run(_target)", f"<{label}>", "exec")
        try:
            exec(code, {"_run": _exercise, "_target": target})  # noqa: S102 - our own probe code
        except Exception:  # noqa: BLE001 - a probe that fails to construct still counts as run
            pass
        found = any(cell == label for cell, _ in self.uses)
        self.uses = {(cell, name) for cell, name in self.uses if not cell.startswith(PROBE_PREFIX)}
        return found


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
        self.finder.wire.wrap_classes(module)
        if self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)


def _exercise(cls: type) -> None:
    """Construct ``cls`` on a throw-away optimizer (how an answer would use a scheduler)."""
    import torch

    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    cls(optimizer)


_ARMED: list[Tripwire] = []


def arm(wires: dict[str, Iterable[str]]) -> None:
    """Arm one tripwire per ``{module name: forbidden class names}`` (once per process)."""
    for module_name, names in wires.items():
        wire = Tripwire(module_name, names)
        wire.arm()
        _ARMED.append(wire)


def disarm_all() -> None:
    """Undo :func:`arm` (trusted in-process use only)."""
    while _ARMED:
        _ARMED.pop().disarm()


def report(namespace: Any = None, nonce: str = "") -> dict[str, Any]:
    """``{"uses": [[cell, class name], …], "armed": bool}`` for the trusted side.

    ``armed`` is False when no wire was armed or the probe named ``nonce`` was not recorded.
    """
    del namespace  # the harness calling convention; the records are process-wide
    armed = bool(_ARMED) and all(wire.probe(nonce) for wire in _ARMED)
    uses = sorted({use for wire in _ARMED for use in wire.uses})
    return {"uses": [list(use) for use in uses], "armed": armed}

