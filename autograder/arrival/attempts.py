"""Every attempt kept: one folder and one durable record per submission that arrived.

``attempts/<assignment>/<student>/<attempt>/`` under the course root holds:

=================  =====================================================================
``record.json``    :class:`AttemptRecord`: the decision (graded as attempt n, or refused
                   and why, in the student's words) and how far the attempt got
``submitted/``     the submission's files, copied from the exchange
``outcome.json``   the attempt's outcome record (the same :class:`~autograder.outcome.Outcome`
                   as ``grade`` writes), created once: a second grading of the attempt can
                   never replace it (:meth:`AttemptStore.write_outcome_once`)
``autograded/``    its notebook as executed for feedback
``feedback/``      its feedback page, as released to the student
=================  =====================================================================

Every write is atomic (:mod:`autograder.store`), so a service killed at any moment leaves each
file whole, and a restart carries every attempt on from where its files say it got to.

The decision (:func:`decide`) is a pure function of the policy, the attempt's arrival time
and the student's earlier decisions of the same assignment, so it is the same whenever it is
made. Which graded attempt counts is :func:`counting`.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from autograder.outcome import Outcome
from autograder.reasons import GRADER_SIDE
from autograder.store import atomic_write_text, make_dirs
from autograder.submission_policy import Counting, SubmissionPolicy, describe_duration, describe_time

ATTEMPTS = "attempts"
RECORD = "record.json"
OUTCOME = "outcome.json"


class Refusal:
    """Why an attempt was not graded (the record's ``refused``)."""

    LIMIT = "attempts"
    COOLDOWN = "cooldown"
    CLOSED = "closed"


@dataclass
class AttemptRecord:
    """What happened to one attempt (``record.json``); see the module doc.

    ``arrived``: when the exchange got it (ISO, naive UTC): the decision counts from it;
    ``number``: its graded attempt number (0 when refused); ``refused``/``message``: why not
    graded, in the student's words; ``released``: which page the student can fetch
    (``pending``, ``refused``, ``scores``, ``full``); ``promoted``: the ``graded_at`` of the
    outcome last put into ``submitted/``, ``outcomes/`` and the gradebook (the counting one);
    ``grader_errors``: failures of the grading environment, for the instructor (retried).
    """

    assignment: str
    student: str
    attempt: str
    inbound: str
    submitted: str
    arrived: str
    number: int = 0
    refused: str = ""
    message: str = ""
    released: str = ""
    promoted: str = ""
    grader_errors: list[str] = field(default_factory=list)

    @property
    def graded(self) -> bool:
        """Accepted for grading (whether or not its outcome is there yet)."""
        return not self.refused

    @property
    def arrived_at(self) -> datetime:
        return datetime.fromisoformat(self.arrived)

    @property
    def submitted_at(self) -> datetime | None:
        """``timestamp.txt``'s time as nbgrader reads it (what lateness counts from), or None."""
        from nbgrader.utils import parse_utc

        try:
            return parse_utc(self.submitted)
        except (ValueError, OverflowError):
            return None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> AttemptRecord:
        return cls(**json.loads(text))


def decide(policy: SubmissionPolicy, arrived: datetime, earlier: list[AttemptRecord],
           extension: timedelta = timedelta(0)) -> tuple[int, str, str]:
    """(graded attempt number, refusal, message) for an attempt that arrived at ``arrived``,
    given the student's decided attempts of the same assignment that arrived before it
    (``extension``: the student's, which moves the closing time too)."""
    graded = [r for r in earlier if r.graded and r.arrived_at <= arrived]
    closing = policy.closing
    if closing is not None and arrived > closing + extension:
        return 0, Refusal.CLOSED, (
            f"Not graded: submitted after grading on arrival closed ({describe_time(closing + extension)}). "
            "Ask your instructor about late work.")
    if policy.attempts is not None and len(graded) >= policy.attempts:
        return 0, Refusal.LIMIT, (
            f"Not graded: you have used all {policy.attempts} graded attempt{'s' if policy.attempts != 1 else ''} "
            f"for {policy.assignment}. Your {policy.counts} graded attempt counts.")
    if graded and policy.cooldown > timedelta(0):
        last = max(r.arrived_at for r in graded)
        if arrived - last < policy.cooldown:
            again = last + policy.cooldown
            return 0, Refusal.COOLDOWN, (
                f"Not graded: graded attempts must be at least {describe_duration(policy.cooldown)} apart, and this one "
                f"came {describe_duration(arrived - last)} after your previous one. Submit again after "
                f"{describe_time(again.replace(microsecond=0) + timedelta(seconds=1))}.")
    return len(graded) + 1, "", ""


def counting(policy: SubmissionPolicy, graded: list[tuple[AttemptRecord, Outcome]]) -> AttemptRecord | None:
    """The attempt that counts among the graded ones with an outcome: the last to arrive, or the
    best score after its late penalty (the later one on a tie). An attempt the grader failed on
    (``crash``) counts only when nothing else can."""
    usable = [(r, o) for r, o in graded if not (o.status == "failed" and o.reason in GRADER_SIDE)] or graded
    if not usable:
        return None
    if policy.counts is Counting.BEST:
        return max(usable, key=lambda ro: (ro[1].net_score if ro[1].status == "graded" else -1.0,
                                           ro[0].arrived, ro[0].attempt))[0]
    return max(usable, key=lambda ro: (ro[0].arrived, ro[0].attempt))[0]


class AttemptStore:
    """The attempts of one course on disk (see the module doc)."""

    def __init__(self, root: Path, group_shared: bool = False) -> None:
        self.root = Path(root) / ATTEMPTS
        self.group_shared = group_shared

    def folder(self, assignment: str, student: str, attempt: str) -> Path:
        return self.root / assignment / student / attempt

    def record(self, assignment: str, student: str, attempt: str) -> AttemptRecord | None:
        try:
            return AttemptRecord.from_json((self.folder(assignment, student, attempt) / RECORD).read_text())
        except (OSError, ValueError, TypeError):
            return None

    def write_record(self, record: AttemptRecord) -> None:
        target = self.folder(record.assignment, record.student, record.attempt) / RECORD
        atomic_write_text(target, record.to_json(), group_shared=self.group_shared)

    def records(self, assignment: str | None = None, student: str | None = None) -> list[AttemptRecord]:
        """Every readable record (of an assignment, of a student), in the order they arrived."""
        pattern = f"{assignment or '*'}/{student or '*'}/*/{RECORD}"
        found = []
        for path in self.root.glob(pattern):
            try:
                found.append(AttemptRecord.from_json(path.read_text()))
            except (OSError, ValueError, TypeError):
                continue
        return sorted(found, key=lambda r: (r.arrived, r.attempt))

    def outcome(self, record: AttemptRecord) -> Outcome | None:
        try:
            text = (self.folder(record.assignment, record.student, record.attempt) / OUTCOME).read_text()
            return Outcome.from_json(text)
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def write_outcome_once(self, record: AttemptRecord, outcome: Outcome) -> bool:
        """Create the attempt's outcome record; False (nothing written) when it has one already."""
        folder = self.folder(record.assignment, record.student, record.attempt)
        target = folder / OUTCOME
        if target.exists():
            return False
        tmp = folder / f".{OUTCOME}.{secrets.token_hex(6)}.tmp"
        atomic_write_text(tmp, outcome.to_json(), group_shared=self.group_shared)
        try:
            os.link(tmp, target)  # fails when it exists: at most one outcome per attempt
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)
        return True

    def replace_outcome(self, record: AttemptRecord, outcome: Outcome) -> None:
        """The attempt's outcome after its feedback run (the scores stand; flags and the kernel's
        verdicts added), or after an instructor's ``grade --force``."""
        target = self.folder(record.assignment, record.student, record.attempt) / OUTCOME
        atomic_write_text(target, outcome.to_json(), group_shared=self.group_shared)

    def copy_in(self, record: AttemptRecord, source: Path) -> Path:
        """The submission's files into the attempt's ``submitted/`` (once; whole or not at all)."""
        folder = self.folder(record.assignment, record.student, record.attempt)
        target = folder / "submitted"
        if target.is_dir():
            return target
        make_dirs(folder, group_shared=self.group_shared)
        tmp = folder / f".submitted.{secrets.token_hex(6)}"
        shutil.copytree(source, tmp, symlinks=True)
        os.rename(tmp, target)
        return target
