"""``python -m autograder report ASSIGNMENT``: one self-contained HTML page for the instructor.

Built from the outcome records only (no gradebook needed): summary counts, the score
distribution, pass rate per check, failures by reason, the slowest submissions, the
suspected-tampering list and the isolation level(s) the sandbox reached. Plots are drawn
with matplotlib (Agg) and embedded as base64 PNG, so the file can be mailed or archived.
"""
from __future__ import annotations

import base64
import html
import io
from collections import Counter
from pathlib import Path

from autograder import store
from autograder.gradebook import Course, CourseError
from autograder.outcome import Outcome


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "<img alt='plot' src='data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode() + "'>"


def _table(headers: list[str], rows: list[list[object]]) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>" if rows else "<p><em>none</em></p>"


def _total_seconds(outcome: Outcome) -> float:
    """Wall time of one submission: the recorded total, else the sum of its phases."""
    return outcome.seconds.get("total", sum(outcome.seconds.values()))


def tampering(outcome: Outcome) -> list[str]:
    """What the grader flagged on this submission (the task decides: tampering signs,
    renamed files, visible tests that passed in the kernel but not in the scorer)."""
    return list(outcome.flags)


def build(course: Course, assignment: str, outcomes: dict[str, Outcome]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    e = html.escape
    graded = [o for o in outcomes.values() if o.status == "graded"]
    failed = [o for o in outcomes.values() if o.status == "failed"]
    max_score = max((o.max_score for o in graded), default=0.0)
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(assignment)} report</title>",
             "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #bbb;padding:3px 8px;text-align:left}</style></head><body>",
             f"<h1>Grading report: {e(assignment)}</h1>",
             f"<p>{len(outcomes)} submission(s): {len(graded)} graded, {len(failed)} failed. "
             f"Isolation reached: {e(', '.join(sorted({o.isolation for o in outcomes.values() if o.isolation})) or 'not reported')}.</p>"]
    if graded:
        scores = [o.score for o in graded]
        mean = sum(scores) / len(scores)
        parts.append(f"<p>Mean score of graded submissions: {mean:.2f} / {max_score:g}.</p>")

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
    parts += ["<h2>Score distribution</h2>", _png(fig)]

    # pass rate per check
    per_check: dict[str, list[float]] = {}
    titles: dict[str, str] = {}
    for o in graded:
        for c in o.checks:
            per_check.setdefault(c.grade_id, []).append(1.0 if c.score >= c.points else 0.0)
            titles[c.grade_id] = c.title or c.grade_id
    parts.append("<h2>Pass rate per check</h2>")
    if per_check:
        names = sorted(per_check)
        rates = [100 * sum(per_check[n]) / len(per_check[n]) for n in names]
        fig, ax = plt.subplots(figsize=(6, 0.4 * len(names) + 1))
        ax.barh([titles[n] for n in names], rates, color="#228833")
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of graded submissions with full points")
        ax.invert_yaxis()
        parts.append(_png(fig))
        parts.append(_table(["check", "full points", "graded"],
                            [[titles[n], f"{r:.0f}%", len(per_check[n])] for n, r in zip(names, rates)]))
    else:
        parts.append("<p><em>no graded submissions</em></p>")

    # failures by reason
    reasons = Counter(o.reason or "unknown" for o in failed)
    parts.append("<h2>Failures by reason</h2>")
    if reasons:
        fig, ax = plt.subplots(figsize=(6, 0.4 * len(reasons) + 1))
        labels = sorted(reasons)
        ax.barh(labels, [reasons[r] for r in labels], color="#cc6677")
        ax.set_xlabel("submissions")
        ax.invert_yaxis()
        parts.append(_png(fig))
        parts.append(_table(["student", "reason", "detail"],
                            [[o.student, o.reason, o.detail] for o in sorted(failed, key=lambda o: o.student)]))
    else:
        parts.append("<p><em>no failures</em></p>")

    # slowest submissions
    timed = sorted(outcomes.values(), key=lambda o: -_total_seconds(o))[:10]
    parts.append("<h2>Slowest submissions</h2>")
    parts.append(_table(["student", "seconds (total)", "breakdown", "status"],
                        [[o.student, f"{_total_seconds(o):.2f}",
                          ", ".join(f"{k} {v:.2f}" for k, v in sorted(o.seconds.items())), o.status]
                         for o in timed if o.seconds]))

    # suspected tampering
    suspects = [(o.student, f) for o in sorted(outcomes.values(), key=lambda o: o.student) for f in tampering(o)]
    parts.append("<h2>Suspected tampering</h2><p>Flags recorded by the grader (tampering signs, "
                 "renamed files, grader errors) and checks that passed in the kernel but not in the scorer.</p>")
    parts.append(_table(["student", "finding"], [list(s) for s in suspects]))
    parts.append("</body></html>")
    return "\n".join(parts)


def run(course: Course, assignment: str, *, output: Path | None = None, log=print) -> Path:
    course.require_assignment(assignment)
    outcomes = store.read_all(course.root, assignment)
    if not outcomes:
        raise CourseError(f"no outcomes for {assignment}: run `python -m autograder grade {assignment}` first")
    path = Path(output) if output else course.root / "reports" / f"{assignment}.html"
    store.atomic_write_text(path, build(course, assignment, outcomes), group_shared=course.group_shared)
    log(f"Report: {path}")
    return path
