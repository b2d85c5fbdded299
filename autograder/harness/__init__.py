"""Public harness operations a check may ask a submission to run (``Student.op``).

These run on the student's side of the trust boundary (inside the sandboxed worker, or in
the kernel), so they contain NO references or hidden cases: they only exercise the
student's code the way a check describes and return plain data. Each assignment adds its
operations in its own module; ``OPS`` maps operation name -> ``fn(namespace, **params)``.
``TRIPWIRES`` names the classes a worker wraps before any student code runs
(:mod:`autograder.harness.tripwire`), per module.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograder.harness import ps1, ps2, ps3, tripwire

OPS: dict[str, Callable[..., Any]] = {**ps1.OPS, **ps2.OPS, **ps3.OPS, **tripwire.OPS}
TRIPWIRES: dict[str, frozenset[str]] = {"torch.optim.lr_scheduler": ps1.FORBIDDEN_SCHEDULERS}
