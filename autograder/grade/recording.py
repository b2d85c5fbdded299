"""What the coordinator writes: each result as an outcome record, then into nbgrader's gradebook.

Only the coordinating process writes: the outcome record first
(``outcomes/<assignment>/<student>.json``, atomic, :mod:`autograder.store`), then the
gradebook (:mod:`autograder.gradebook`), then the late penalty as nbgrader assigns it
(:mod:`autograder.lateness`; the record is rewritten when the penalty changes it). A result is believed only once it is a well-formed
outcome of the submission asked for (:func:`accept_outcome`); a grader exception, a worker
that died twice or an unusable result becomes a ``failed`` outcome with reason ``crash``
(:func:`crashed`) and never stops the batch. A ``grader_error`` (the grading environment
failed) stops the run and writes no score (:func:`stop_on_grader_error`).
"""
from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from autograder import store
from autograder.course import Course
from autograder.gradebook import write_outcome
from autograder.grade.selection import Selection
from autograder.lateness import LatePolicy
from autograder.outcome import Outcome
from autograder.reasons import Reason

if TYPE_CHECKING:
    from autograder.grade import GradeSummary


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def crashed(assignment: str, student: str, flag: str) -> Outcome:
    """The outcome of a submission the grader itself failed on (graded again next run)."""
    outcome = Outcome(assignment=assignment, student=student, status="failed", flags=[flag], graded_at=utc_now())
    outcome.fail(Reason.CRASH)
    return outcome


def accept_outcome(result: object, assignment: str, student: str) -> Outcome:
    """What a task returned, as a trustworthy Outcome of this submission (or ValueError)."""
    if isinstance(result, Outcome):
        outcome = result
    elif isinstance(result, dict):
        outcome = Outcome.from_dict(result)  # ValueError on an unknown reason
    else:
        raise ValueError(f"the task returned {type(result).__name__}, not an outcome")
    if (outcome.assignment, outcome.student) != (assignment, student):
        raise ValueError(f"outcome is for {outcome.assignment}/{outcome.student}")
    if outcome.status not in ("graded", "failed"):
        raise ValueError(f"unknown status {outcome.status!r}")
    if outcome.status == "failed" and outcome.reason is None:
        raise ValueError("a failed outcome without a reason")
    for check in outcome.checks:
        if not (math.isfinite(check.score) and math.isfinite(check.points) and 0 <= check.score <= check.points):
            raise ValueError(f"check {check.grade_id}: score {check.score!r} not in [0, {check.points!r}]")
    return outcome


def _progress(total: int, desc: str, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="sub", disable=not enabled, file=sys.stderr, dynamic_ncols=True,
                smoothing=0.1)


def record_scores(course: Course, assignment: str, results: Iterator[tuple[str, object]], selection: Selection,
                  summary: GradeSummary, progress: bool, log: Any) -> None:
    """Record every result of the grade pass as it comes in; stop at a ``grader_error``."""
    bar = _progress(len(selection.todo), f"grade {assignment}", progress)
    late = LatePolicy.of(course)
    try:
        with course.gradebook() as gb:
            for student, result in results:
                outcome = _to_outcome(result, assignment, student, summary, bar)
                outcome.submission_hash = selection.hashes[student]
                outcome.graded_at = outcome.graded_at or utc_now()
                if outcome.status == "failed" and outcome.reason is Reason.GRADER_ERROR:
                    summary.stopped = stop_on_grader_error(course, outcome, selection.previous.get(student))
                    summary.failed += 1
                    bar.close()
                    log(summary.stopped)
                    return
                store.write(course.root, outcome, group_shared=course.group_shared)
                old = selection.previous.get(student)
                write_outcome(gb, course, outcome,
                              submission_changed=old is not None and old.submission_hash != selection.hashes[student])
                record_lateness(course, gb, late, outcome)
                if outcome.status == "failed":
                    summary.failed += 1
                else:
                    summary.graded += 1
                bar.set_postfix(failed=summary.failed, refresh=False)
                bar.update(1)
    finally:
        bar.close()
        results.close()  # stops the pool (or cancels the cluster's tasks) when stopped early


def reapply_records(course: Course, assignment: str, students: list[str]) -> None:
    """Write the records of ``students`` into the gradebook again: heals a gradebook that was
    deleted, restored, or written by a run killed between a record and its gradebook write;
    lateness follows a changed due date or extension."""
    late = LatePolicy.of(course)
    with course.gradebook() as gb:
        for student in students:
            outcome = store.read(course.root, assignment, student)
            if outcome is not None:
                write_outcome(gb, course, outcome)
                record_lateness(course, gb, late, outcome)


def record_lateness(course: Course, gb: Any, late: LatePolicy, outcome: Outcome) -> None:
    """The late penalty of ``outcome``'s submission into the gradebook, as ``nbgrader autograde``
    assigns it (:meth:`LatePolicy.apply`), and into its record when it changed."""
    judged = late.apply(gb, outcome)
    if judged != outcome.late:
        outcome.late = judged
        store.write(course.root, outcome, group_shared=course.group_shared)


def record_feedback(course: Course, name: str, results: Iterator[tuple[str, object]], total: int,
                    progress: bool) -> None:
    """Write each feedback run's outcome (the kernel's verdicts added) to its record and the gradebook."""
    with course.gradebook() as gb, _progress(total, f"execute {name}", progress) as bar:
        for student, result in results:
            try:
                outcome = accept_outcome(result, name, student)
            except (TypeError, ValueError) as err:
                bar.write(f"  {student}: the feedback run failed ({str(err)[:300]})", file=sys.stderr)
                bar.update(1)
                continue  # the scores stand; feedback shows no notebook for this student
            store.write(course.root, outcome, group_shared=course.group_shared)
            write_outcome(gb, course, outcome)
            bar.update(1)


def stop_on_grader_error(course: Course, outcome: Outcome, previous: Outcome | None) -> str:
    """The grading environment failed on ``outcome``'s submission: no score is written (the
    gradebook and any earlier record stay as they were; a first record says what happened,
    and the next run grades it again). Returns the one line that stops the run."""
    if previous is None:
        store.write(course.root, outcome, group_shared=course.group_shared)
    why = next((f for f in outcome.flags if f.startswith("grader error")), "grader error")
    return (f"grade stopped: the grading environment failed on {outcome.student} ({why[:600]}); "
            f"no score was written. Fix the environment, then run the same command again.")


def _to_outcome(result: object, assignment: str, student: str, summary: GradeSummary, bar: Any) -> Outcome:
    if isinstance(result, BaseException):
        summary.errors[student] = f"{type(result).__name__}: {result}"
        bar.write(f"  {student}: grader error ({type(result).__name__}: {str(result)[:300]})", file=sys.stderr)
        return crashed(assignment, student, f"grader error: {type(result).__name__}: {str(result)[:300]}")
    try:
        return accept_outcome(result, assignment, student)
    except (TypeError, ValueError) as err:
        summary.errors[student] = f"unusable outcome: {err}"
        bar.write(f"  {student}: unusable outcome from the grader ({err})", file=sys.stderr)
        return crashed(assignment, student, f"unusable outcome from the grader: {str(err)[:300]}")
