"""The pages a student fetches for an attempt: waiting, refused, its scores, its executed notebook.

Every page is released under the attempt's own key (:func:`autograder.arrival.exchange.release_page`),
so the Assignments tab shows it next to that submission; a newer page replaces an older one
and the tab says *feedback available to fetch* again:

1. ``pending`` — the attempt is being graded (released the moment it is noticed);
2. ``refused`` — not graded, and why (cool-down, no attempts left, grading closed);
3. ``scores`` — the result, as the assignment's policy lets the student see it before the
   deadline (:class:`~autograder.submission_policy.Feedback`), with the attempt's number
   and the rules: what "feedback available" means in the benchmark;
4. ``full`` — the same with the notebook as executed in the sandbox (visible tests only).

The result part is :func:`autograder.feedback.result_context` cut down to the policy; the
page goes through :func:`autograder.feedback.render_page`, so hidden tests are dropped,
instructor tracebacks cut and the finished page searched for hidden material as for
``feedback``. A page that would still leak is replaced by one without any check text.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import nbformat

from autograder.arrival.attempts import AttemptRecord
from autograder.course import Course
from autograder.feedback import hidden_material, leaks, page_templates, render_page, result_context
from autograder.lateness import explain
from autograder.outcome import Outcome
from autograder.submission_policy import Feedback, SubmissionPolicy, describe_time

PENDING, REFUSED, SCORES, FULL = "pending", "refused", "scores", "full"


def attempt_line(record: AttemptRecord, policy: SubmissionPolicy) -> str:
    of = f" of {policy.attempts}" if policy.attempts is not None else ""
    return f"Attempt {record.number}{of}, submitted {describe_time(record.arrived_at.replace(microsecond=0))}."


def attempt_context(outcome: Outcome, policy: SubmissionPolicy, record: AttemptRecord) -> dict[str, Any]:
    """The result section of an attempt's page, as much as ``policy.feedback`` shows."""
    result = result_context(outcome)
    result["notes"] = [attempt_line(record, policy), *policy.rules_text()]
    result["footnote"] = ("The course's grader checks your functions with more cases than the visible tests; "
                          "the executed notebook, when shown below, shows the visible tests only.")
    if policy.feedback is Feedback.FULL:
        return result
    result.update(show_score=False, net_score="", late=explain(outcome.late, points=False), columns="verdict")
    if policy.feedback is Feedback.CHECKS:
        passed = [c.score >= c.points for c in outcome.checks]
        result["verdict_heading"] = "Result (hidden cases included)"
        verdicts = ["passed" if ok else "not passed" for ok in passed]
        if outcome.status == "graded":
            result["notes"].append(f"Checks passed: {sum(passed)} of {len(passed)}.")
    else:
        result["verdict_heading"] = "Visible tests"
        verdicts = ["pass" if c.basics_ok else "fail" for c in outcome.checks]
    result["checks"] = [{"title": c.title or c.grade_id, "verdict": verdict}
                        for c, verdict in zip(outcome.checks, verdicts)]
    return result


@dataclass
class PageMaker:
    """The pages of one assignment (its hidden material read once)."""

    course: Course
    assignment: str
    status_url: str

    @cached_property
    def release_nb(self) -> Any:
        path = self.course.path("release", ".", self.assignment) / f"{self.assignment}.ipynb"
        return nbformat.read(path, as_version=4) if path.is_file() else None

    @cached_property
    def secrets(self) -> set[str]:
        public = "\n".join(c.source for c in self.release_nb.cells) if self.release_nb else ""
        return hidden_material(self.course, self.assignment, public)

    @property
    def status_link(self) -> str:
        return self.status_url.rstrip("/") + "/" + self.assignment

    def notice(self, record: AttemptRecord, heading: str, message: str, policy: SubmissionPolicy) -> str:
        """A page without a result: the attempt is waiting, or it was refused."""
        return page_templates().get_template("notice.html.j2").render(
            assignment=self.assignment, student=record.student, heading=heading, message=message,
            rules=policy.rules_text(), status_url=self.status_link,
            submitted=describe_time(record.arrived_at.replace(microsecond=0)))

    def pending(self, record: AttemptRecord, policy: SubmissionPolicy, retrying: bool = False) -> str:
        why = (" The grader had a problem that is not yours and is trying again; your instructor has been told."
               if retrying else "")
        return self.notice(record, "Being graded", "Your attempt is in the queue or being graded: fetch the "
                           f"feedback again in a few seconds, or open your grading status page.{why}", policy)

    def refused(self, record: AttemptRecord, policy: SubmissionPolicy) -> str:
        return self.notice(record, "Not graded", record.message, policy)

    def result(self, record: AttemptRecord, outcome: Outcome, policy: SubmissionPolicy,
               executed: Path | None = None) -> str:
        """The attempt's result page (``executed``: its executed notebook, shown below it)."""
        context = attempt_context(outcome, policy, record)
        page = render_page(context, executed, self.secrets, self.release_nb)
        if leaks(page, self.secrets):  # a message quoting hidden material: nothing of the checks is shown
            context.update(checks=[], notes=[*context["notes"], "The checks' details are withheld; ask your instructor."])
            page = render_page(context, None, self.secrets, self.release_nb)
        return page
