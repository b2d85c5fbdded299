"""LR Lab's instructor-only grading code: never installed or shipped to students.

Navigate by verb, as with nbgrader's own commands (``python -m autograder …``, one module
per verb: :mod:`autograder.cli` lists them). Below the verbs, one package per job:

* ``assignments/`` — one folder per assignment (its checks, harness, calibration, held-out
  data, samples) and the :class:`~autograder.assignments.Assignment` each declares;
* ``grading/`` — the per-submission path: validate, normalize, the sealed scorer, execute;
* ``sandbox/`` — where student code runs, isolated by :mod:`autograder.sandbox.policy`;
* ``checks/`` — what checks are written with; ``harness/`` — what they may run on the
  student's side; :mod:`autograder.protocol` — the plain data that crosses between them.
"""
from pathlib import Path as _Path
import sys as _sys

#: The instructor repository this package lives in (its ``source/``, ``release/``, ``lrlab/``).
REPO_ROOT = _Path(__file__).resolve().parents[1]

# jsonschema (imported by nbformat in every grading process) checks the "iri" string format
# with rfc3987-syntax when that is installed, which compiles a Lark grammar on import: ~3 s
# of CPU per process, for a format no notebook schema uses. Marking it absent makes
# jsonschema skip that one format check (its documented fallback). See benchmarks/grading.py.
_sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
del _sys, _Path
