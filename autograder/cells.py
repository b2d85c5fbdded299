"""What kind of cell a notebook cell is, in nbgrader's terms (read-only helpers, no I/O).

The grading path (:mod:`autograder.grading`), the checks' reference runs
(:mod:`autograder.checks.reference`) and the sample answer sets (:mod:`autograder.submissions`)
all ask the same questions of a cell; the answers live here, once.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The tag of a read-only code cell (imports) that runs before the answers everywhere.
SETUP_TAG = "setup"


def nbgrader_meta(cell: Mapping[str, Any]) -> Mapping[str, Any]:
    """The cell's ``nbgrader`` metadata ({} when it has none or it is not a mapping)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, Mapping) else {}


def cell_tags(cell: Mapping[str, Any]) -> tuple[str, ...]:
    """The cell's tags (``("<not a list>",)`` when the metadata is malformed)."""
    tags = cell.get("metadata", {}).get("tags", [])
    return tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else ("<not a list>",)


def is_setup_cell(cell: Mapping[str, Any]) -> bool:
    """A code cell tagged ``setup`` (imports); runs before the answers everywhere."""
    return cell.get("cell_type") == "code" and SETUP_TAG in cell_tags(cell)


def is_answer_cell(cell: Mapping[str, Any]) -> bool:
    """An autograded answer cell: nbgrader ``solution`` and not ``grade``, code."""
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("solution")) and not meta.get("grade")
