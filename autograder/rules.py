"""The course's rules for submissions, as ``nbgrader_config.py`` states them (one place, per term).

Which assignments are graded on arrival and each one's :class:`~autograder.submission_policy.SubmissionPolicy`,
the per-student extensions file and the late-day budget::

    c.CourseRules.assignments = {
        "ps1_schedulers": {},                        # graded on arrival with the defaults
        "ps2_diagnosing_curves": {"due": "2026-03-09 17:00:00 UTC", "closes": "2026-03-11 17:00:00 UTC",
                                  "attempts": 5, "cooldown": "10m", "feedback": "visible", "counts": "best"},
    }
    c.CourseRules.extensions = "extensions.csv"      # student,assignment,extension (autograder/lateness.py)
    c.CourseRules.late_days = 3                      # late days per student for the term (0: none)
    c.CourseRules.status_url = "/services/lrlab-grader/"

The late penalty itself is nbgrader's: ``c.AssignLatePenalties.plugin_class`` and its options
(``c.LateSubmissionPlugin.penalty_method``, or the course's ``autograder.lateness.PercentPerDay``),
so ``nbgrader autograde`` and this grader take the same points off. A ``due`` given here is
written into nbgrader's gradebook (the assignment's due date) by ``release``, ``grade`` and the
grading service; without one, the gradebook's due date (e.g. set in the formgrader) is used.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from traitlets import Dict, Int, Unicode
from traitlets.config import Config, Configurable

from autograder.submission_policy import SubmissionPolicy

#: The grading service's name on the hub (its pages are under /services/<name>/).
SERVICE_NAME = "lrlab-grader"


class CourseRules(Configurable):
    """The ``CourseRules`` section of ``nbgrader_config.py`` (see the module doc)."""

    assignments = Dict(
        help="{assignment: {rule: value}}: the assignments graded on arrival (python -m autograder serve) "
             "and their rules: due, closes, attempts, cooldown, feedback (visible|checks|full), counts (last|best); "
             "{'arrival': False} keeps an assignment's due date without grading it on arrival.",
    ).tag(config=True)
    extensions = Unicode(
        "extensions.csv", help="per-student extensions (columns student, assignment, extension), "
                               "relative to the course root",
    ).tag(config=True)
    late_days = Int(0, help="late days each student may spend over the term (each covers one day late)").tag(config=True)
    status_url = Unicode(
        f"/services/{SERVICE_NAME}/", help="where students open the grading status page (the service's URL on the hub)",
    ).tag(config=True)

    def policy(self, assignment: str) -> SubmissionPolicy:
        """The rules of ``assignment`` (ValueError on a bad entry)."""
        from nbgrader.utils import parse_utc

        return SubmissionPolicy.from_config(assignment, self.assignments.get(assignment), parse_utc)

    def arrival_assignments(self) -> list[str]:
        """The assignments graded on arrival, by name."""
        return sorted(name for name in self.assignments if self.policy(name).arrival)


def course_rules(config: Config | Any) -> CourseRules:
    """The rules of a course from its loaded configuration (``Course.config``)."""
    return CourseRules(config=config)


def effective_policy(rules: CourseRules, assignment: str, gradebook_due: datetime | None) -> SubmissionPolicy:
    """The policy with the gradebook's due date when the configuration gives none."""
    policy = rules.policy(assignment)
    return policy if policy.due is not None else policy.with_due(gradebook_due)
