"""The sealed scorer: authoritative points for every hidden check of one submission.

Runs in the trusted grading process and never executes student code itself. It builds the
answer program (:mod:`autograder.grading.program`: the release's setup cells, then the
student's answer cells, nothing else), has a sandbox load it into a child
(``sandbox.load(program)``), and runs every check of the assignment against that child
through the plain-data :class:`~autograder.protocol.Student` protocol: the child only ever
returns JSON, which the checks convert and compare against references they compute here.
Nothing from the submission is imported or unpickled.

Forbidden names (e.g. PyTorch's own schedulers inside a hand-written schedule) void only
the check whose OWN answer cells use one (``Check.own``), found twice: statically in the
source before anything runs, and at run time by the child's tripwire
(:mod:`autograder.harness.tripwire`), which reports the answer cells on the call stack
whenever a forbidden class's or function's code runs, so a name built at run time is caught
too. Every hit reaches this side over the child's report descriptor as it happens (what the
child keeps in its own memory is ignored: it could scrub it). After each check the scorer
asks the child to exercise the wire with a fresh nonce and looks for that probe's hit of
every forbidden name the assignment's harness wires; a missing one means a disarmed wire,
which voids every check that forbids something and is flagged as tampering. A forbidden
name no harness wires is found in the source only.
Time costs only what is slow. An answer cell that runs past its limit while the program loads
(``CellTimedOut``) is left out and the program loaded again without it: the cell counts as a
cell that raised (``TimeoutError``), so only the checks that need what it defines lose points.
When the child becomes unavailable while a check runs (a call past its limit, a crash, memory)
that check scores 0 with the reason, and the next check gets a fresh child (the cells that
timed out stay out), so a function that loops forever costs only the checks that call it. Only
a program that cannot be loaded at all (it crashes, floods its output or exhausts memory while
it loads) makes every check unavailable.
"""
from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from nbformat import NotebookNode

from autograder.assignments import Assignment
from autograder.checks import Check, CheckResult, forbidden_uses
from autograder.grading.program import answer_program, answer_sources
from autograder.harness.tripwire import PROBE_PREFIX, Hits
from autograder.outcome import CheckScore
from autograder.protocol import CellTimedOut, Student, StudentError, StudentUnavailable
from autograder.reasons import Reason, check_not_graded


class LoadedStudent(Student, Protocol):
    """A loaded answer program the checks can question (a sandboxed child in production)."""

    load_errors: Mapping[str, str]  # answer cell -> "ValueError: ..." for cells that raised
    arms_tripwire: bool  # the tripwire was armed before the program ran

    def tripwire_hits(self) -> Hits:
        """What the tripwire reported so far, as read on the trusted side (when it arms one)."""

    def new_check(self) -> None:
        """The next requests are one check's: its own time budget starts now."""

    def close(self) -> None: ...


class StudentLoader(Protocol):
    def load(self, program: list[tuple[str, str]]) -> LoadedStudent:
        """Load ``program`` into a fresh process; raises CellTimedOut when one cell runs past its
        time limit, StudentUnavailable when loading it fails otherwise."""


@dataclass
class ScoreReport:
    """Everything the scorer learned; ``score()`` returns ``(checks, flags)`` from it."""

    checks: list[CheckScore]
    flags: list[str] = field(default_factory=list)
    unavailable: list[Reason] = field(default_factory=list)  # StudentUnavailable reasons, in order
    load_errors: dict[str, str] = field(default_factory=dict)
    children_started: int = 0
    seconds: float = 0.0

    @property
    def all_unavailable(self) -> bool:
        """No check got an answer from a live child (the whole submission failed to run)."""
        return bool(self.unavailable) and all(c.reason is not None for c in self.checks)


VOID_PREFIX = "Void:"


def _unavailable(check: Check, reason: Reason) -> CheckScore:
    """A check that could not be judged: the student's process was gone."""
    return CheckScore(check.grade_id, check.title, check.points, 0.0, check_not_graded(reason),
                      basics_ok=False, reason=reason)


def _points(check: Check, fraction: float) -> float:
    return round(check.points * fraction, 2)


def _close(student: LoadedStudent) -> None:
    with contextlib.suppress(Exception):  # the child may already be gone; never mask the score
        student.close()


def _void_message(names: list[str], when: str) -> str:
    return (f"{VOID_PREFIX} your answer uses {', '.join(names)}{when}, which this exercise asks you to "
            "implement yourself, so this check scored 0.")


DISARMED_MESSAGE = (f"{VOID_PREFIX} your code switched off the grader's check for PyTorch's built-in "
                    "schedulers, so this check scored 0.")


def static_forbidden(check: Check, sources: Mapping[str, str]) -> list[str]:
    """Forbidden names written in the check's own answer cells (no code runs)."""
    return sorted(
        {
            name
            for cell in check.own
            for name in forbidden_uses(sources.get(cell, ""), check.forbidden)
            if name != "<syntax error>"
        }
    )


@dataclass
class RuntimeUses:
    """What the child's tripwire reported, collected after every check (see the docstring)."""

    uses: set[tuple[str, str]] = field(default_factory=set)  # (answer cell, forbidden name)
    disarmed: bool = False

    def collect(self, student: LoadedStudent, required: frozenset[str]) -> bool:
        """Ask the child to exercise its wire with a fresh nonce, then take what its report
        descriptor carried; False when the child died on the way.

        The record is the one read on the trusted side (a hit cannot be taken back by the
        child); the child's own reply is advisory and ignored. No reply, a missing probe hit
        for any ``required`` name, a malformed report or a child that dies while reporting
        all count as disarmed: honest code never touches the wire, so only tampering gets there.
        """
        nonce = secrets.token_hex(8)
        alive = True
        try:
            student.op("tripwire_report", nonce=nonce)
        except StudentUnavailable:
            alive = False
        except (KeyError, StudentError):
            self.disarmed = True
        hits = self.absorb(student)
        probe = PROBE_PREFIX + nonce
        if not alive or hits.malformed or not all((probe, name) in hits.uses for name in required):
            self.disarmed = True
        return alive

    def absorb(self, student: LoadedStudent) -> Hits:
        """Keep every hit the child reported so far (also from a child that died: a hit counts)."""
        hits = student.tripwire_hits()
        self.uses |= {(cell[:200], name[:200]) for cell, name in hits.uses if not cell.startswith(PROBE_PREFIX)}
        return hits

    def names(self, check: Check) -> list[str]:
        """Forbidden names that ran from the check's own answer cells."""
        return sorted({name for cell, name in self.uses if cell in check.own and name in check.forbidden})


def _load(sandbox: StudentLoader, program: list[tuple[str, str]], timed_out: dict[str, str]) -> LoadedStudent:
    """The program loaded without the cells in ``timed_out``; a cell that runs past its limit
    joins them (with its load error) and the rest is loaded again, once per such cell."""
    while True:
        try:
            return sandbox.load([cell for cell in program if cell[0] not in timed_out])
        except CellTimedOut as slow:
            timed_out[slow.cell] = slow.error


def score_report(
    assignment: Assignment,
    trusted_nb: NotebookNode,
    submitted_nb: NotebookNode,
    sandbox: StudentLoader,
    *,
    clock: Callable[[], float] = time.perf_counter,
) -> ScoreReport:
    """Score one submission; see the module docstring. Never raises for a bad submission."""
    start = clock()
    checks = assignment.checks_by_id
    sources = answer_sources(submitted_nb)
    program = answer_program(trusted_nb, sources)
    report = ScoreReport(checks=[])
    results: dict[str, CheckScore] = {}

    # 1. Static: a forbidden name in a check's own answer voids it before anything runs
    #    (not a tampering sign: basics_ok stays True, nothing was judged).
    to_run: list[Check] = []
    for check in checks.values():
        used = static_forbidden(check, sources)
        if used:
            results[check.grade_id] = CheckScore(
                check.grade_id, check.title, check.points, 0.0, _void_message(used, ""), basics_ok=True,
                reason=Reason.FORBIDDEN_API,
            )
            report.flags.append(f"forbidden API in {check.grade_id}: {', '.join(used)}")
        else:
            to_run.append(check)

    # 2. Dynamic: every remaining check against a sandboxed child; a child that arms the
    #    tripwire is asked after each check which forbidden classes ran from which cells.
    forbidden = frozenset().union(*(check.forbidden for check in to_run))
    wired = forbidden & frozenset().union(*assignment.harness.tripwires.values())  # probed at run time
    runtime = RuntimeUses()
    loaded: LoadedStudent | None = None
    timed_out: dict[str, str] = {}  # answer cells left out of every load: they ran past their limit
    dead_reason: Reason | None = None
    try:
        for check in to_run:
            if dead_reason is None and loaded is None:
                try:
                    loaded = _load(sandbox, program, timed_out)
                    report.children_started += 1
                    if report.children_started == 1:
                        report.load_errors = {k: v[:300] for k, v in {**loaded.load_errors, **timed_out}.items()}
                except StudentUnavailable as gone:
                    report.unavailable.append(gone.reason)
                    dead_reason = gone.reason  # the answers themselves cannot be loaded
            if loaded is None:
                results[check.grade_id] = _unavailable(check, dead_reason or report.unavailable[-1])
                continue
            try:
                loaded.new_check()
                result = assignment.evaluate(check.grade_id, loaded)
            except StudentUnavailable as gone:
                report.unavailable.append(gone.reason)
                if forbidden and loaded.arms_tripwire:
                    runtime.absorb(loaded)
                _close(loaded)
                loaded = None
                results[check.grade_id] = _unavailable(check, gone.reason)
                continue
            except Exception as err:  # a check that cannot cope with an answer: 0, never a crash
                result = CheckResult(0.0, ("This check could not evaluate your answer.",), basics_ok=False)
                report.flags.append(f"scorer error in {check.grade_id}: {type(err).__name__}")
            results[check.grade_id] = CheckScore(
                check.grade_id,
                check.title,
                check.points,
                _points(check, result.fraction),
                " ".join(str(m) for m in result.messages)[:2000],
                basics_ok=bool(result.basics_ok),
            )
            if forbidden and loaded.arms_tripwire and not runtime.collect(loaded, wired):
                _close(loaded)
                loaded = None
    finally:
        if loaded is not None:
            _close(loaded)
    _void_at_run_time(to_run, results, runtime, report)

    report.checks = [results[g] for g in checks if g in results]
    for check in checks.values():  # say which of the student's own cells went wrong
        scored = results.get(check.grade_id)
        if scored is None or scored.score >= scored.points:
            continue
        notes = [f"Answer cell {cell} is missing from your notebook." for cell in check.answer_cells if cell not in sources]
        notes += [f"Cell {cell} raised {report.load_errors[cell]}" for cell in check.answer_cells if cell in report.load_errors]
        if notes:
            scored.message = " ".join([scored.message, *notes]).strip()[:2000]
    report.flags.extend(f"answer cell {cell} stopped at its time limit and left out" for cell in timed_out
                        if not cell.startswith("setup:"))
    setup_errors = {k: v for k, v in report.load_errors.items() if k.startswith("setup:")}
    if setup_errors:
        report.flags.append("trusted setup cell failed in the worker: " + "; ".join(f"{k}: {v[:100]}" for k, v in setup_errors.items()))
    report.seconds = clock() - start
    return report


def _void_at_run_time(
    checks: list[Check], results: dict[str, CheckScore], runtime: RuntimeUses, report: ScoreReport
) -> None:
    """Zero each judged check whose own cells ran a forbidden class (or all, if disarmed)."""
    for check in checks:
        scored = results.get(check.grade_id)
        if scored is None or not check.forbidden or scored.reason is not None:
            continue
        if runtime.disarmed:
            scored.score, scored.message, scored.basics_ok = 0.0, DISARMED_MESSAGE, False
            scored.reason = Reason.FORBIDDEN_API
            continue
        used = runtime.names(check)
        if used:
            scored.score, scored.message = 0.0, _void_message(used, " (found while it ran)")
            scored.reason = Reason.FORBIDDEN_API
            report.flags.append(f"forbidden API at run time in {check.grade_id}: {', '.join(used)}")
    if runtime.disarmed and any(c.forbidden for c in checks):
        report.flags.append("the forbidden-scheduler tripwire was disarmed in the worker (suspected tampering)")
