"""The release notebook's first cell: how the assignment is graded when it is submitted.

:class:`PolicyHeader` is an nbgrader preprocessor that ``nbgrader_config.py`` puts first in
``GenerateAssignment.preprocessors``, so ``python -m autograder release`` and plain
``nbgrader generate_assignment`` write the same release. For an assignment graded on arrival
(:mod:`autograder.rules`) it inserts one read-only markdown cell stating its rules — what the
feedback shows, the attempts and their cool-down, which attempt counts, the deadline, the late
penalty — and the link to the grading status page. Other assignments are left as they are.
"""
from __future__ import annotations

from typing import Any

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.rules import course_rules

#: The header cell's id (fixed, so a regenerated release is byte-identical).
CELL_ID = "lrlab-grading-rules"


def header_text(config: Any, assignment: str, written_answers: bool = False) -> str | None:
    """The header's markdown for ``assignment`` (``written_answers``: it has answers graded by
    hand), or None when it is not graded on arrival."""
    from autograder.lateness import late_plugin, rule_text

    rules = course_rules(config)
    policy = rules.policy(assignment)
    if not policy.arrival:
        return None
    late = rule_text(late_plugin(config))
    if rules.late_days:
        late += f"; you have {rules.late_days} late day{'s' if rules.late_days != 1 else ''} for the term, each covering a day late"
    status = rules.status_url.rstrip("/") + "/" + assignment
    lines = [
        "**How this assignment is graded.** When you submit it (*Nbgrader → Assignments*, **Submit**), the "
        "course's grader grades it within seconds: click **Fetch Feedback** there, then *view feedback*, "
        f"or open [your grading status]({status}).",
        "",
        *(f"- {line}" for line in policy.rules_text()),
        f"- {policy.deadline_text(late + '.')}",
    ]
    if written_answers:
        lines.append("- Written answers are graded by your instructor after the deadline, never on arrival.")
    return "\n".join(lines)


class PolicyHeader(NbGraderPreprocessor):
    """Insert the grading-rules cell at the top of an assignment graded on arrival."""

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        written = any(cell.metadata.get("nbgrader", {}).get("grade") and cell.metadata["nbgrader"].get("solution")
                      for cell in nb.cells)
        text = header_text(self.config, resources["nbgrader"]["assignment"], written)
        if text is not None and not (nb.cells and nb.cells[0].get("id") == CELL_ID):
            cell = nbformat.v4.new_markdown_cell(text, id=CELL_ID)
            cell.metadata.update({"editable": False, "deletable": False})
            nb.cells.insert(0, cell)
        return nb, resources

    def preprocess_cell(self, cell: Any, resources: dict, index: int) -> tuple[Any, dict]:
        return cell, resources
