"""The student's grading status: a small page the grading service serves on the hub.

When the hub starts the service (``hub/jupyterhub_config.py``; ``hub.services`` on Zero to
JupyterHub) it serves, under the hub's service URL (``/services/lrlab-grader/``), one page
per student, authenticated with JupyterHub's OAuth for services
(:class:`jupyterhub.services.auth.HubOAuthenticated`): a student sees their own attempts only.

* ``/services/lrlab-grader/`` — every assignment graded on arrival; ``…/<assignment>`` — one
  (the release notebook's header links there);
* per attempt: when it arrived, where it is (received, waiting with how many ahead, graded,
  not graded and why), the result as the policy shows it, whether it counts, and a link to
  its feedback page (``…/<assignment>/<attempt>``); it reloads itself while anything waits.

It reads only what is on disk (the attempt records, the exchange's inbound folder), never the
service's memory, so it shows the truth even while the service restarts. Errors are in the
student's words (:mod:`autograder.reasons`). Server-rendered HTML with no script of its own:
the least front-end code that shows a pending attempt.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from autograder.arrival.attempts import AttemptRecord, AttemptStore
from autograder.arrival.exchange import Arrival, inbound_dir
from autograder.course import Course
from autograder.feedback import TEMPLATES
from autograder.lateness import late_plugin, rule_text
from autograder.reasons import not_graded
from autograder.rules import course_rules
from autograder.submission_policy import Feedback, SubmissionPolicy, describe_time


@dataclass(frozen=True)
class Row:
    """One attempt as the status page shows it."""

    number: str
    submitted: str
    state: str
    result: str
    counts: bool
    page: str  # link to the attempt's feedback page, or ""
    waiting: bool


def result_text(outcome: Any, policy: SubmissionPolicy) -> str:
    """An attempt's result in one line, as much as the policy shows."""
    if outcome.status == "failed":
        return not_graded(outcome.reason)
    if policy.feedback is Feedback.FULL:
        return f"{outcome.score:g} / {outcome.max_score:g} autograded points"
    if policy.feedback is Feedback.CHECKS:
        passed = sum(c.score >= c.points for c in outcome.checks)
        return f"{passed} of {len(outcome.checks)} checks passed"
    passed = sum(bool(c.basics_ok) for c in outcome.checks)
    return f"visible tests pass in {passed} of {len(outcome.checks)} checks"


def student_rows(course: Course, attempts: AttemptStore, assignment: str, student: str,
                 policy: SubmissionPolicy) -> list[Row]:
    """Every attempt of ``student`` at ``assignment`` (newest first), the exchange's undecided ones included."""
    from autograder.arrival.attempts import counting

    records = attempts.records(assignment, student)
    outcomes = {r.attempt: attempts.outcome(r) for r in records}
    counted = counting(policy, [(r, o) for r in records if r.graded and (o := outcomes[r.attempt]) is not None])
    waiting_all = [r for r in attempts.records(assignment) if r.graded and not _has_outcome(attempts, r)]
    rows = []
    for record in records:
        outcome = outcomes[record.attempt]
        page = f"{assignment}/{record.attempt}" if record.released else ""
        if record.refused:
            rows.append(Row("—", _when(record), "not graded", record.message, False, page, False))
        elif outcome is None:
            ahead = sum(1 for r in waiting_all if (r.arrived, r.attempt) < (record.arrived, record.attempt))
            state = "waiting" if not record.grader_errors else "waiting (the grader had a problem, not yours; retrying)"
            result = f"{ahead} submission{'s' if ahead != 1 else ''} ahead of yours" if ahead else "being graded"
            rows.append(Row(str(record.number), _when(record), state, result, False, page, True))
        else:
            counts = counted is not None and counted.attempt == record.attempt
            rows.append(Row(str(record.number), _when(record), "graded", result_text(outcome, policy), counts, page, False))
    known = {r.inbound for r in records}
    for arrival in _inbound(course, assignment, student):
        if arrival.name not in known:
            rows.append(Row("…", arrival.timestamp, "received", "about to be graded", False, "", True))
    return list(reversed(rows))


def _has_outcome(attempts: AttemptStore, record: AttemptRecord) -> bool:
    return (attempts.folder(record.assignment, record.student, record.attempt) / "outcome.json").is_file()


def _when(record: AttemptRecord) -> str:
    return describe_time(record.arrived_at.replace(microsecond=0))


def _inbound(course: Course, assignment: str, student: str) -> Iterator[Arrival]:
    folder = inbound_dir(course.exchange_root() or "", course.course_id)
    for path in sorted(folder.glob(f"{student}+{assignment}+*")) if folder.is_dir() else []:
        arrival = Arrival.parse(path)
        if arrival is not None and arrival.student == student:
            yield arrival


class StatusPages:
    """What the handlers render (one per service; reads the course's files)."""

    def __init__(self, course: Course) -> None:
        import jinja2

        self.course = course
        self.attempts = AttemptStore(course.root)
        self.rules = course_rules(course.config)
        self.late_rule = rule_text(late_plugin(course.config))
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True)
        self.template = env.get_template("status.html.j2")

    def page(self, student: str, only: str | None, base: str) -> str | None:
        """The status page of ``student`` (for one assignment, or all); None for an unknown one."""
        names = self.rules.arrival_assignments()
        if only is not None and only not in names:
            return None
        sections = []
        for name in [only] if only else names:
            policy = self._policy(name)
            rows = student_rows(self.course, self.attempts, name, student, policy)
            sections.append({"assignment": name, "rules": [*policy.rules_text(), policy.deadline_text(self.late_rule + ".")],
                             "rows": rows})
        refresh = any(row.waiting for section in sections for row in section["rows"])
        return self.template.render(student=student, sections=sections, refresh=refresh, base=base)

    def attempt_page(self, student: str, assignment: str, attempt: str) -> str | None:
        """The feedback page of one of ``student``'s attempts, or None."""
        if assignment not in self.rules.arrival_assignments() or "/" in attempt or attempt.startswith("."):
            return None
        path = self.attempts.folder(assignment, student, attempt) / "feedback" / f"{assignment}.html"
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            return None

    def _policy(self, name: str) -> SubmissionPolicy:
        from autograder.rules import effective_policy

        due = None
        with contextlib.suppress(Exception), self.course.gradebook() as gb:
            due = gb.find_assignment(name).duedate
        return effective_policy(self.rules, name, due)


def make_app(pages: StatusPages, prefix: str) -> Any:
    """The tornado application: HubOAuth-authenticated handlers under ``prefix``."""
    from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
    from tornado import web

    class Status(HubOAuthenticated, web.RequestHandler):
        @web.authenticated
        def get(self, assignment: str = "", attempt: str = "") -> None:
            student = self.get_current_user()["name"]
            if attempt:
                page = pages.attempt_page(student, assignment, attempt)
            else:
                page = pages.page(student, assignment or None, prefix)
            if page is None:
                raise web.HTTPError(404)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.write(page)

    return web.Application([
        (prefix + "oauth_callback", HubOAuthCallbackHandler),
        (prefix + r"([A-Za-z0-9_]+)/([A-Za-z0-9_=-]+)", Status),
        (prefix + r"([A-Za-z0-9_]+)/?", Status),
        (prefix + "?", Status),
    ], cookie_secret=os.urandom(32), login_url=prefix + "oauth_callback")


@contextlib.contextmanager
def serving(course: Course, service: Any, port: int | None, log: Callable[[str], None]) -> Iterator[None]:
    """Serve the status page in a thread while the service runs, when the hub started the
    service (``JUPYTERHUB_SERVICE_URL``) or ``port`` asks for it; else nothing."""
    url = os.environ.get("JUPYTERHUB_SERVICE_URL")
    if not url or not os.environ.get("JUPYTERHUB_API_TOKEN"):
        if port is not None:
            log("status page: not served (it needs the hub's OAuth: run the service as a hub service)")
        yield
        return
    where = urlparse(url)
    host, listen = where.hostname or "127.0.0.1", port or where.port or 8080
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/lrlab-grader/")
    app = make_app(StatusPages(course), prefix)
    ready, stop = threading.Event(), threading.Event()
    box: dict[str, Any] = {}

    def serve() -> None:
        async def main() -> None:
            server = app.listen(listen, address=host)
            box["loop"], box["stopping"] = asyncio.get_running_loop(), asyncio.Event()
            ready.set()
            await box["stopping"].wait()
            server.stop()

        asyncio.run(main())
        stop.set()

    thread = threading.Thread(target=serve, name="status-page", daemon=True)
    thread.start()
    ready.wait(30)
    log(f"status page: http://{host}:{listen}{prefix} (the hub serves it at {prefix})")
    try:
        yield
    finally:
        if "loop" in box:
            box["loop"].call_soon_threadsafe(box["stopping"].set)
            stop.wait(5)

