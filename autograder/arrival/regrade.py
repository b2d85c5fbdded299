"""``grade --force`` over every attempt graded on arrival, not only the counting one.

After a fix to the checks, every attempt's outcome is regraded with the same per-submission
task as the grading service (:func:`autograder.grading.worker.grade_at`, on the same local
workers or Dask cluster as the run), its page is released again with the new result, and the
attempt that counts is chosen again (with ``best``, a regrade may change which one) and
promoted. A failure of the grading environment stops it as it stops ``grade``: no outcome is
replaced by it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograder.arrival.attempts import AttemptStore, counting
from autograder.arrival.exchange import release_page
from autograder.arrival.pages import SCORES, PageMaker
from autograder.arrival.promote import promote
from autograder.course import Course
from autograder.grade import backends
from autograder.grade.recording import accept_outcome, crashed
from autograder.grading.steps import Where
from autograder.grading.worker import GradingJob
from autograder.lateness import LatePolicy
from autograder.reasons import Reason
from autograder.rules import course_rules, effective_policy


def regrade_attempts(course: Course, job: GradingJob, students: list[str], task: Callable, workers: int | None,
                     dask: Any, local: Any, log: Callable[[str], None]) -> str:
    """Regrade every graded attempt of ``students``; returns why it stopped ('' when it did not)."""
    name = job.assignment.name
    attempts = AttemptStore(course.root, course.group_shared)
    chosen = set(students)
    records = {f"{r.student}/{r.attempt}": r for r in attempts.records(name)
               if r.graded and r.student in chosen and attempts.outcome(r) is not None}
    if not records:
        return ""
    folders = {key: attempts.folder(name, r.student, r.attempt) for key, r in records.items()}
    items = {key: (r.student, Where(folders[key] / "submitted", folders[key] / "autograded")) for key, r in records.items()}
    log(f"{name}: regrading {len(items)} attempt(s) graded on arrival.")
    exchange, late = course.exchange_root(), LatePolicy.of(course)
    rules = course_rules(course.config)
    pages = PageMaker(course, name, rules.status_url)
    results = backends.run(task, job, items, backends.pool_size(len(items), workers), dask, local)
    try:
        with course.gradebook() as gb:
            policy = effective_policy(rules, name, gb.find_assignment(name).duedate)
            for key, result in results:
                record = records[key]
                try:
                    outcome = accept_outcome(result, name, record.student) if not isinstance(result, BaseException) \
                        else crashed(name, record.student, f"grader error: {type(result).__name__}: {str(result)[:300]}")
                except (TypeError, ValueError) as err:
                    outcome = crashed(name, record.student, f"unusable outcome from the grader: {str(err)[:300]}")
                if outcome.status == "failed" and outcome.reason is Reason.GRADER_ERROR:
                    return f"grade stopped: the grading environment failed on {key}; no attempt's outcome was replaced."
                outcome.late = late.assess(gb, record.student, name, record.submitted_at, outcome.score)
                attempts.replace_outcome(record, outcome)
                executed = folders[key] / "autograded" / f"{name}.ipynb"
                page = pages.result(record, outcome, policy, executed if executed.is_file() else None)
                if exchange:
                    secret = (folders[key] / "submitted" / "submission_secret.txt").read_text()
                    release_page(exchange, course.course_id, secret, name, page, course.group_shared)
                record.released = SCORES
                attempts.write_record(record)
            for student in sorted({r.student for r in records.values()}):
                graded = [(r, o) for r in attempts.records(name, student)
                          if r.graded and (o := attempts.outcome(r)) is not None]
                counted = counting(policy, graded)
                if counted is not None:
                    promote(course, attempts, counted, next(o for r, o in graded if r.attempt == counted.attempt), gb,
                            late)
    finally:
        results.close()
    return ""

