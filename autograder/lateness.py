"""Deadlines as a course runs them: nbgrader's late penalty, per-student extensions, late days.

The penalty is nbgrader's own: the ``LateSubmissionPlugin`` the course configures for
``nbgrader autograde`` (``c.AssignLatePenalties.plugin_class``; nbgrader's default with
``c.LateSubmissionPlugin.penalty_method = "none"`` or ``"zero"``, or the course's
:class:`PercentPerDay`), called with the same arguments nbgrader's ``AssignLatePenalties``
passes (the student, the notebook's score in the gradebook, the seconds late after the
submission's extension) and clamped the same way (between 0 and that score). So a
submission graded here and by ``nbgrader autograde`` loses the same points.

Extensions come from a small file in the course root (``c.CourseRules.extensions``,
default ``extensions.csv``)::

    student,assignment,extension
    alice,ps1_schedulers,2 days
    bob,*,36h

(``*``: every assignment; a row naming the assignment wins over ``*``). A course may also give
every student a budget of late days (``c.CourseRules.late_days``): a submission late by part
of a day spends one, in the order of the assignments' due dates, until the budget is spent.
Both are written into nbgrader's gradebook as the submission's extension
(``Gradebook.grant_extension``), so nbgrader's own tools see the same due date.
"""
from __future__ import annotations

import csv
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float

from autograder.course import Course, CourseError
from autograder.outcome import Late, Outcome
from autograder.rules import course_rules
from autograder.submission_policy import describe_duration, describe_time, parse_duration

ANY_ASSIGNMENT = "*"
DAY = 86400.0


class PercentPerDay(LateSubmissionPlugin):
    """A late submission loses ``percent`` % of its score for each day or part of a day late
    (at most all of it). Use it with ``c.AssignLatePenalties.plugin_class =
    "autograder.lateness.PercentPerDay"`` and ``c.PercentPerDay.percent = 10``."""

    percent = Float(10.0, help="percent of the score taken off per day (or part of one) late").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float | None:
        if total_seconds_late <= 0:
            return None
        return score * min(1.0, self.percent / 100.0 * math.ceil(total_seconds_late / DAY))

    def describe(self) -> str:
        return f"a late submission loses {self.percent:g} % of its score per day or part of a day late"


def late_plugin(config: Any) -> Any:
    """The plugin ``nbgrader autograde`` would use, built as its ``AssignLatePenalties`` builds it."""
    from nbgrader.preprocessors import AssignLatePenalties

    assigner = AssignLatePenalties(config=config)
    assigner.init_plugin()
    plugin = assigner.plugin_inst
    plugin.log.setLevel(logging.WARNING)  # it logs its method at INFO on every call
    return plugin


def rule_text(plugin: Any) -> str:
    """The penalty rule in words, for the feedback page and the release notebook's header."""
    if hasattr(plugin, "describe"):
        return plugin.describe()
    if type(plugin) is LateSubmissionPlugin:
        return {"none": "a late submission loses no points",
                "zero": "a late submission scores 0 autograded points"}[plugin.penalty_method]
    doc = (type(plugin).__doc__ or "").strip().splitlines()
    return doc[0].rstrip(".") if doc else f"late penalty by {type(plugin).__name__}"


def clamp(penalty: float | None, score: float) -> float | None:
    """nbgrader's ``AssignLatePenalties`` rule: a penalty lies between 0 and the score."""
    if penalty is None:
        return None
    return min(max(float(penalty), 0.0), float(score))


def read_extensions(path: Path) -> dict[tuple[str, str], timedelta]:
    """{(student, assignment or '*'): extension} from an extensions file (none when absent);
    CourseError names the line of a bad row."""
    path = Path(path)
    if not path.is_file():
        return {}
    table: dict[tuple[str, str], timedelta] = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        if header != ["student", "assignment", "extension"]:
            raise CourseError(f"extensions {path}: the header must be 'student,assignment,extension', not {header}")
        reader.fieldnames = header
        for line, row in enumerate(reader, start=2):
            student, assignment = (row["student"] or "").strip(), (row["assignment"] or "").strip()
            if not student or not assignment or None in row:
                raise CourseError(f"extensions {path}, line {line}: needs a student, an assignment (or *) and an extension")
            try:
                table[(student, assignment)] = parse_duration((row["extension"] or "").strip())
            except ValueError as err:
                raise CourseError(f"extensions {path}, line {line}: {err}") from None
    return table


@dataclass
class LatePolicy:
    """A course's late rules, read once (a run, or each time the grading service records)."""

    plugin: Any
    rule: str
    extensions: dict[tuple[str, str], timedelta]
    late_days: int

    @classmethod
    def of(cls, course: Course) -> LatePolicy:
        rules = course_rules(course.config)
        plugin = late_plugin(course.config)
        return cls(plugin, rule_text(plugin), read_extensions(course.root / rules.extensions), rules.late_days)

    def extension(self, student: str, assignment: str) -> timedelta:
        """The student's extension on ``assignment`` from the extensions file."""
        return self.extensions.get((student, assignment), self.extensions.get((student, ANY_ASSIGNMENT), timedelta(0)))

    def late_days_spent(self, gb: Any, student: str, assignment: str, submitted: datetime) -> int:
        """Late days this submission spends: one per day (or part) past the extended due date,
        while the student's budget lasts; assignments due earlier spend first (their
        submissions in the gradebook)."""
        if self.late_days <= 0:
            return 0
        spent = 0
        for other in sorted((a for a in gb.assignments if a.duedate is not None), key=lambda a: (a.duedate, a.name)):
            when = submitted if other.name == assignment else _submitted_at(gb, other.name, student)
            need = 0
            if when is not None:
                late = (when - other.duedate - self.extension(student, other.name)).total_seconds()
                need = math.ceil(late / DAY) if late > 0 else 0
            use = min(need, self.late_days - spent)
            if other.name == assignment:
                return use
            spent += use
        return 0

    def assess(self, gb: Any, student: str, assignment: str, submitted: datetime | None,
               score: float) -> Late | None:
        """The lateness of a submission of ``score`` points made at ``submitted`` (None: no due date).
        What :meth:`apply` writes, for an attempt that is not in the gradebook."""
        due = _due(gb, assignment)
        if due is None or submitted is None:
            return None
        extension = self.extension(student, assignment)
        days = self.late_days_spent(gb, student, assignment, submitted)
        own_due = due + extension + timedelta(days=days)
        seconds = max(0.0, (submitted - own_due).total_seconds())
        penalty = clamp(self.plugin.late_submission_penalty(student, score, seconds), score) if seconds > 0 else None
        return Late(seconds, own_due.isoformat(), extension.total_seconds(), days, penalty or 0.0, self.rule)

    def apply(self, gb: Any, outcome: Outcome) -> Late | None:
        """As ``nbgrader autograde``'s ``AssignLatePenalties`` does, on the gradebook's copy of
        ``outcome``'s submission: its extension (file + late days), then each notebook's
        ``late_submission_penalty`` from the plugin. Returns what the outcome record keeps."""
        assignment, student = outcome.assignment, outcome.student
        submission = gb.find_submission(assignment, student)
        due = submission.assignment.duedate
        if due is None or submission.timestamp is None:  # nothing is late: clear what an earlier due date left
            _set_extension(gb, submission, assignment, student, timedelta(0))
            stale = [nb for nb in submission.notebooks if nb.late_submission_penalty is not None]
            for notebook in stale:
                notebook.late_submission_penalty = None
            if stale:
                gb.db.commit()
            return None
        extension = self.extension(student, assignment)
        days = self.late_days_spent(gb, student, assignment, submission.timestamp)
        _set_extension(gb, submission, assignment, student, extension + timedelta(days=days))
        seconds = submission.total_seconds_late
        penalty = 0.0
        for notebook in submission.notebooks:
            notebook.late_submission_penalty = None
            if seconds > 0:
                value = clamp(self.plugin.late_submission_penalty(student, notebook.score, seconds), notebook.score)
                notebook.late_submission_penalty = value
                penalty += value or 0.0
        gb.db.commit()
        return Late(seconds, submission.duedate.isoformat(), extension.total_seconds(), days, round(penalty, 4),
                    self.rule)


def explain(late: Late | None, points: bool = True) -> str:
    """The lateness in a student's words ('' when on time or without a due date); without the
    penalty's points when the feedback shows no points."""
    if late is None or late.seconds <= 0:
        return ""
    moved = []
    if late.extension:
        moved.append(f"your extension of {describe_duration(timedelta(seconds=late.extension))}")
    if late.late_days:
        moved.append(f"{late.late_days} late day{'s' if late.late_days != 1 else ''} spent")
    due = describe_time(datetime.fromisoformat(late.due))
    text = f"Submitted {describe_duration(timedelta(seconds=late.seconds))} after your due date {due}"
    text += f" ({', '.join(moved)})" if moved else ""
    if not points:
        return f"{text}: a late penalty applies ({late.rule})."
    return f"{text}: late penalty {late.penalty:g} point{'s' if late.penalty != 1 else ''} ({late.rule})."


def sync_due_dates(course: Course, assignments: list[str] | None = None) -> None:
    """Write each configured ``due`` into nbgrader's gradebook (the assignment's due date),
    so nbgrader's own autograde, formgrader and export see the same one."""
    rules = course_rules(course.config)
    names = assignments if assignments is not None else list(rules.assignments)
    dues = {name: rules.policy(name).due for name in names if name in rules.assignments}
    dues = {name: due for name, due in dues.items() if due is not None}
    if not dues or not course.gradebook_exists():
        return
    with course.gradebook() as gb:
        for name, due in dues.items():
            if name in {a.name for a in gb.assignments} and gb.find_assignment(name).duedate != due:
                gb.update_or_create_assignment(name, duedate=due)


def _due(gb: Any, assignment: str) -> datetime | None:
    from nbgrader.api import MissingEntry

    try:
        return gb.find_assignment(assignment).duedate
    except MissingEntry:
        return None


def _submitted_at(gb: Any, assignment: str, student: str) -> datetime | None:
    from nbgrader.api import MissingEntry

    try:
        return gb.find_submission(assignment, student).timestamp
    except MissingEntry:
        return None


def _set_extension(gb: Any, submission: Any, assignment: str, student: str, extension: timedelta) -> None:
    current = submission.extension or timedelta(0)
    if current != extension:
        gb.grant_extension(assignment, student, minutes=extension.total_seconds() / 60)
