"""LR Lab's instructor-only grading code: never installed or shipped to students.

Navigate by verb, as with nbgrader's own commands: ``checks/`` holds the hidden checks
(one module per assignment), ``submissions.py`` builds notebooks from answer sets,
``sandbox/`` isolates student code, ``scorer.py`` computes authoritative scores, and
the pipeline commands (``python -m autograder …``) drive nbgrader's workflow.
"""

import sys as _sys

# jsonschema (imported by nbformat in every grading process) checks the "iri" string format
# with rfc3987-syntax when that is installed, which compiles a Lark grammar on import: ~3 s
# of CPU per process, for a format no notebook schema uses. Marking it absent makes
# jsonschema skip that one format check (its documented fallback). See benchmarks/grading.py.
_sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
del _sys
