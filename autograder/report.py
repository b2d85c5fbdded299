"""``python -m autograder report ASSIGNMENT``: one self-contained HTML page for the instructor.

Built from the outcome records only (no gradebook needed) into ``templates/report.html.j2``
(jinja2): summary counts, the score distribution, pass rate per check, failures by reason, the slowest submissions, the
suspected-tampering list and the isolation level(s) the sandbox reached; late submissions with
their penalty and why; and, for an assignment graded on arrival, every student's attempts —
how their scores moved from one attempt to the next, which one counts, what was refused, and
any failure of the grading environment (retried, never the student's). Plots are drawn
with matplotlib (Agg) and embedded as base64 PNG, so the file can be mailed or archived.
"""
from __future__ import annotations

import base64
import io
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from autograder import store
from autograder.course import Course, CourseError
from autograder.lateness import explain
from autograder.outcome import Outcome
from autograder.sandbox.policy import Level

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _png(fig) -> str:
    """The figure as base64 PNG (closed afterwards)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _total_seconds(outcome: Outcome) -> float:
    """Wall time of one submission: the recorded total, else the sum of its phases."""
    return outcome.seconds.get("total", sum(outcome.seconds.values()))


def tampering(outcome: Outcome) -> list[str]:
    """What the grader flagged on this submission (the task decides: tampering signs,
    renamed files, visible tests that passed in the kernel but not in the scorer)."""
    return list(outcome.flags)


def _weak_isolation(outcomes: Iterable[Outcome]) -> list[str]:
    """What the levels reached leave undone (graded with ``--allow-weak-isolation``); a level
    this grader cannot read (a record from elsewhere) says nothing."""
    levels = set()
    for written in {o.isolation for o in outcomes if o.isolation}:
        try:
            levels.add(Level.parse(written))
        except ValueError:
            continue
    weak = [f"{level}: the instructor's files were not hidden from student code" for level in levels
            if not level.hides_files]
    weak += [f"{level}: students were not kept apart (one's code could signal, trace or outlive another's)"
             for level in levels if not level.separates_students]
    return sorted(weak)


def build(course: Course, assignment: str, outcomes: dict[str, Outcome]) -> str:
    """The page: ``templates/report.html.j2`` filled with the figures and tables below."""
    import jinja2
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    graded = [o for o in outcomes.values() if o.status == "graded"]
    failed = [o for o in outcomes.values() if o.status == "failed"]
    max_score = max((o.max_score for o in graded), default=0.0)
    context: dict = {
        "assignment": assignment, "total": len(outcomes), "graded": len(graded), "failed": len(failed),
        "isolation": ", ".join(sorted({o.isolation for o in outcomes.values() if o.isolation})),
        "weak_isolation": _weak_isolation(outcomes.values()),
        "mean": sum(o.score for o in graded) / len(graded) if graded else None, "max_score": f"{max_score:g}",
    }

    # score distribution (failed submissions shown apart: they are not zeros)
    fig, ax = plt.subplots(figsize=(6, 3))
    if graded:
        ax.hist([o.score for o in graded], bins=min(20, max(5, int(max_score) + 1)), range=(0, max_score or 1),
                color="#4477aa", label="graded")
    if failed:
        ax.bar([-0.1 * (max_score or 1)], [len(failed)], width=0.08 * (max_score or 1), color="#cc6677",
               label="failed (no score)")
    ax.set_xlabel("score")
    ax.set_ylabel("submissions")
    ax.set_title("Score distribution")
    ax.legend()
    context["distribution_png"] = _png(fig)

    # pass rate per check
    per_check: dict[str, list[float]] = {}
    titles: dict[str, str] = {}
    for o in graded:
        for c in o.checks:
            per_check.setdefault(c.grade_id, []).append(1.0 if c.score >= c.points else 0.0)
            titles[c.grade_id] = c.title or c.grade_id
    names = sorted(per_check)
    rates = [100 * sum(per_check[n]) / len(per_check[n]) for n in names]
    context["pass_rates"] = [[titles[n], f"{r:.0f}%", len(per_check[n])] for n, r in zip(names, rates)]
    if names:
        fig, ax = plt.subplots(figsize=(6, 0.4 * len(names) + 1))
        ax.barh([titles[n] for n in names], rates, color="#228833")
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of graded submissions with full points")
        ax.invert_yaxis()
        context["pass_rates_png"] = _png(fig)

    # failures by reason
    reasons = Counter(str(o.reason or "unknown") for o in failed)
    context["failures"] = [[o.student, o.reason, o.detail] for o in sorted(failed, key=lambda o: o.student)]
    if reasons:
        fig, ax = plt.subplots(figsize=(6, 0.4 * len(reasons) + 1))
        labels = sorted(reasons)
        ax.barh(labels, [reasons[r] for r in labels], color="#cc6677")
        ax.set_xlabel("submissions")
        ax.invert_yaxis()
        context["reasons_png"] = _png(fig)

    timed = sorted(outcomes.values(), key=lambda o: -_total_seconds(o))[:10]
    context["slowest"] = [[o.student, f"{_total_seconds(o):.2f}",
                           ", ".join(f"{k} {v:.2f}" for k, v in sorted(o.seconds.items())), o.status]
                          for o in timed if o.seconds]
    context["suspects"] = [[o.student, f] for o in sorted(outcomes.values(), key=lambda o: o.student)
                           for f in tampering(o)]
    context["late"] = [[o.student, explain(o.late), f"{o.late.penalty:g}"]
                       for o in sorted(outcomes.values(), key=lambda o: o.student) if o.late and o.late.seconds > 0]
    context.update(attempts_context(course, assignment))
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True)
    return env.get_template("report.html.j2").render(**context)


#: How the report words each reason an attempt was not graded (:class:`autograder.arrival.attempts.Refusal`).
REFUSED = {"attempts": "past the attempt limit", "cooldown": "in the cool-down", "closed": "after grading closed"}


def attempts_context(course: Course, assignment: str) -> dict:
    """The attempts table and plot of an assignment graded on arrival (empty without attempts)."""
    from autograder.arrival.attempts import AttemptStore, counting
    from autograder.rules import course_rules

    attempts = AttemptStore(course.root)
    records = attempts.records(assignment)
    if not records:
        return {"attempts": [], "attempts_png": ""}
    import matplotlib.pyplot as plt

    policy = course_rules(course.config).policy(assignment)
    rows: list[list] = []
    fig, ax = plt.subplots(figsize=(6, 3))
    for student in sorted({r.student for r in records}):
        mine = [r for r in records if r.student == student]
        graded = [(r, o) for r in mine if r.graded and (o := attempts.outcome(r)) is not None]
        counted = counting(policy, graded)
        moves = [f"{o.score:g}" if o.status == "graded" else str(o.reason) for _, o in graded]
        waiting = sum(1 for r in mine if r.graded and attempts.outcome(r) is None)
        refused = Counter(r.refused for r in mine if r.refused)
        rows.append([student, len(graded), " → ".join(moves) + (f" (+{waiting} waiting)" if waiting else ""),
                     counted.number if counted else "",
                     ", ".join(f"{n} {REFUSED[why]}" for why, n in sorted(refused.items())),
                     sum(len(r.grader_errors) for r in mine)])
        scores = [(r.number, o.score) for r, o in graded if o.status == "graded"]
        if len(scores) > 1:
            ax.plot(*zip(*scores), marker="o", alpha=0.5)
    ax.set_xlabel("graded attempt")
    ax.set_ylabel("autograded score")
    ax.set_title("Scores from one attempt to the next (students with several)")
    return {"attempts": rows, "attempts_png": _png(fig)}


def run(course: Course, assignment: str, *, output: Path | None = None, log=print) -> Path:
    course.require_assignment(assignment)
    outcomes = store.read_all(course.root, assignment)
    if not outcomes:
        raise CourseError(f"no outcomes for {assignment}: run `python -m autograder grade {assignment}` first")
    path = Path(output) if output else course.root / "reports" / f"{assignment}.html"
    store.atomic_write_text(path, build(course, assignment, outcomes), group_shared=course.group_shared)
    log(f"Report: {path}")
    return path
