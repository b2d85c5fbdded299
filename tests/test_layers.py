"""Import direction: every part of the code imports only the parts below it (read with ``ast``).

From the bottom: ``lrlab`` (the course's library: nothing of the autograder); the plain data
(``protocol``, ``reasons``, ``cells``, ``submission_policy``); the ``harness`` type and tripwire; the ``sandbox`` and
the ``checks`` library side by side (neither knows the other, nor any assignment); the
``assignments``; the records (``course``, ``outcome``, ``store``, ``gradebook``); ``grading``;
and on top the commands (``cli``, ``grade``, ``feedback`` …), which may import anything.
Imports inside functions and under ``TYPE_CHECKING`` count too: an upward arrow is one
whether it runs at import time or later.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BASE = {"autograder.protocol", "autograder.reasons", "autograder.cells", "autograder.submission_policy"}
RECORDS = {"autograder.course", "autograder.outcome", "autograder.store", "autograder.gradebook"}
#: What each part may import of lrlab and the autograder, besides itself.
ALLOWED: dict[str, set[str]] = {
    "lrlab": set(),
    "autograder.reasons": set(),
    "autograder.protocol": {"autograder.reasons"},
    "autograder.cells": set(),
    "autograder.submission_policy": set(),
    "autograder.harness": BASE,
    "autograder.sandbox": BASE | {"autograder.harness", "lrlab"},  # lrlab: it pins numerics before torch
    "autograder.checks": BASE | {"lrlab"},
    "autograder.assignments": BASE | {"autograder.harness", "autograder.checks", "lrlab"},
    "autograder.course": set(),
    "autograder.outcome": {"autograder.reasons"},
    "autograder.store": {"autograder.outcome"},
    "autograder.gradebook": {"autograder.course", "autograder.outcome", "autograder.reasons"},
    "autograder.grading": BASE | RECORDS | {"autograder.harness", "autograder.sandbox", "autograder.checks",
                                            "autograder.assignments"},
}


def part_of(module: str) -> str | None:
    """The part of :data:`ALLOWED` a module belongs to (the longest prefix), None for a command."""
    parts = [p for p in ALLOWED if module == p or module.startswith(p + ".")]
    return max(parts, key=len) if parts else None


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    names = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(names)


def imported(source: str) -> set[str]:
    """The lrlab and autograder modules some source imports (``from autograder import x`` is
    module ``autograder.x`` when x is one)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                where = ROOT.joinpath(*candidate.split("."))
                if where.with_suffix(".py").is_file() or where.is_dir():
                    found.add(candidate)
    return {m for m in found if m.split(".")[0] in ("autograder", "lrlab")}


def upward(module: str, targets: set[str]) -> list[str]:
    """The imports of ``module`` that its part may not make."""
    own = part_of(module)
    if own is None:
        return []  # a command: it may import anything
    return sorted(f"{module} ({own}) imports {target}" for target in targets
                  if not (target == "autograder" and own != "lrlab")  # the package's root (REPO_ROOT)
                  and part_of(target) != own
                  and not any(target == a or target.startswith(a + ".") for a in ALLOWED[own]))


def test_no_part_imports_a_part_above_it_or_beside_it() -> None:
    paths = [p for folder in ("autograder", "lrlab") for p in sorted((ROOT / folder).rglob("*.py"))
             if "samples" not in p.parts]
    assert len(paths) > 50
    assert [line for path in paths for line in upward(module_name(path), imported(path.read_text()))] == []


def test_the_rule_sees_an_upward_import() -> None:
    """The check can fail: a sandbox module that imports the checks or an assignment, the
    checks library that imports the sandbox, lrlab that imports the autograder."""
    assert upward("autograder.sandbox._probe", imported("from autograder.checks import Check\n"
                                                        "def f():\n    from autograder import assignments\n")) == [
        "autograder.sandbox._probe (autograder.sandbox) imports autograder.assignments",
        "autograder.sandbox._probe (autograder.sandbox) imports autograder.checks"]
    assert upward("autograder.checks.runs", imported("import autograder.sandbox.client\n"))
    assert upward("lrlab.plots", imported("from autograder import REPO_ROOT\n"))
    assert upward("autograder.grading.steps", imported("from autograder.grade import run\n"))
    assert not upward("autograder.cli", imported("from autograder.grading import worker\n"))


def test_every_module_of_the_lower_parts_is_classified() -> None:
    """Each folder and root module of the autograder is a part of ALLOWED or a command."""
    commands = {"cli", "collect", "demo", "export", "feedback", "grade", "leaks", "lms", "new", "publish", "release",
                "report", "roster", "submissions", "arrival", "header", "lateness", "rules", "__main__", "__init__"}
    for path in sorted((ROOT / "autograder").iterdir()):
        if path.name in ("templates", "__pycache__") or (path.is_file() and path.suffix != ".py"):
            continue
        assert part_of(f"autograder.{path.stem}") is not None or path.stem in commands, path.name
