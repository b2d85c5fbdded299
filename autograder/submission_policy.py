"""One assignment's rules for submissions, as plain data: what grading on arrival shows, how often.

A :class:`SubmissionPolicy` says, for one assignment:

==============  ===========================================================  ======================
field           meaning                                                      default
==============  ===========================================================  ======================
``arrival``     graded when it arrives in the exchange (``autograder serve``)  True when configured
``feedback``    what a student sees of an attempt before the deadline         ``checks``
                (:class:`Feedback`: ``visible``, ``checks`` or ``full``)
``attempts``    graded attempts per student (``None``: no limit)              10
``cooldown``    least time between two graded attempts                        2 minutes
``counts``      which graded attempt the gradebook holds (:class:`Counting`)  ``last``
``due``         nbgrader's due date (late penalties count from it), UTC       none
``closes``      when grading on arrival stops, UTC                           ``due``
==============  ===========================================================  ======================

The course writes them in ``nbgrader_config.py`` (:mod:`autograder.rules` reads them); this
module only parses and describes them, so that the grading service, the release notebook's
header and the feedback pages say the same thing. Times are naive UTC, as nbgrader keeps them.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class Feedback(StrEnum):
    """What an attempt's feedback shows before the deadline (afterwards the instructor's
    ``feedback`` shows everything)."""

    VISIBLE = "visible"  # for each check, whether its visible cases pass: what Validate shows
    CHECKS = "checks"  # each check's name and whether it passed, hidden cases included; no points
    FULL = "full"  # each check's score, points and message


class Counting(StrEnum):
    """Which graded attempt counts (the one the gradebook holds)."""

    LAST = "last"
    BEST = "best"


_UNITS = {"d": 86400, "day": 86400, "days": 86400, "h": 3600, "hour": 3600, "hours": 3600,
          "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
          "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1}
_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*")


def parse_duration(value: str | float | int | timedelta) -> timedelta:
    """A duration: seconds as a number, or text such as ``90s``, ``2m``, ``1h30m``, ``2 days``."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        text, seconds, at = value.strip().lower(), 0.0, 0
        while at < len(text):
            match = _PART.match(text, at)
            if not match or match.group(2) not in _UNITS:
                raise ValueError(f"not a duration: {value!r} (write e.g. 90s, 2m, 1h30m, 2 days)")
            seconds += float(match.group(1)) * _UNITS[match.group(2)]
            at = match.end()
    else:
        raise ValueError(f"not a duration: {value!r}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"not a duration: {value!r} (must be finite and not negative)")
    return timedelta(seconds=seconds)


def describe_duration(duration: timedelta) -> str:
    """``1 day 6 hours``, ``2 minutes``, ``45 seconds`` (whole seconds; ``0 seconds`` for none)."""
    left = int(round(duration.total_seconds()))
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
    return " ".join(parts) or "0 seconds"


def describe_time(moment: datetime) -> str:
    """A naive UTC time as students read it: ``2026-03-02 17:00 UTC`` (seconds when not 0)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC" if moment.second or moment.microsecond else "%Y-%m-%d %H:%M UTC")


FEEDBACK_TEXT = {
    Feedback.VISIBLE: "whether each check's visible tests pass (what Validate shows), not its hidden cases or points",
    Feedback.CHECKS: "each check's name and whether it passed, hidden cases included, but not its points",
    Feedback.FULL: "each check's score, points and message",
}


@dataclass(frozen=True)
class SubmissionPolicy:
    """One assignment's rules (see the module doc); build it with :meth:`from_config`."""

    assignment: str
    arrival: bool = False
    feedback: Feedback = Feedback.CHECKS
    attempts: int | None = 10
    cooldown: timedelta = timedelta(minutes=2)
    counts: Counting = Counting.LAST
    due: datetime | None = None
    closes: datetime | None = None

    @property
    def closing(self) -> datetime | None:
        """When grading on arrival stops (before any student's extension): ``closes``, else ``due``."""
        return self.closes or self.due

    @classmethod
    def from_config(cls, assignment: str, entry: Mapping[str, Any] | None,
                    parse_time: Callable[[str], datetime]) -> SubmissionPolicy:
        """The policy of ``assignment`` from its course configuration entry (``None``: the
        assignment is not graded on arrival and has no due date). ``parse_time`` reads a date
        as nbgrader does (:func:`nbgrader.utils.parse_utc`). ValueError names a bad key or value."""
        if entry is None:
            return cls(assignment)
        if not isinstance(entry, Mapping):
            raise ValueError(f"{assignment}: the rules must be a dict, not {type(entry).__name__}")
        unknown = sorted(set(entry) - set(_READERS))
        if unknown:
            raise ValueError(f"{assignment}: unknown rule(s) {', '.join(unknown)} (known: {', '.join(_READERS)})")
        values: dict[str, Any] = {"arrival": True}
        for key, value in entry.items():
            try:
                values[key] = _READERS[key](value, parse_time)
            except (TypeError, ValueError) as err:
                raise ValueError(f"{assignment}: {key}: {err}") from None
        policy = cls(assignment, **values)
        if policy.closes and policy.due and policy.closes < policy.due:
            raise ValueError(f"{assignment}: closes ({policy.closes}) is before due ({policy.due})")
        return policy

    def with_due(self, due: datetime | None) -> SubmissionPolicy:
        return replace(self, due=due)

    # ------------------------------------------------------------------ what students read

    def rules_text(self) -> list[str]:
        """The rules, one sentence each, as the header and the feedback pages state them."""
        lines = [f"Before the deadline, the feedback on an attempt shows {FEEDBACK_TEXT[self.feedback]}."]
        many = "no limit on graded attempts" if self.attempts is None else \
            f"{self.attempts} graded attempt{'s' if self.attempts != 1 else ''}"
        apart = f", at least {describe_duration(self.cooldown)} apart" if self.cooldown > timedelta(0) else ""
        lines.append(f"You have {many}{apart}; a submission beyond that is recorded but not graded.")
        lines.append("Your last graded attempt counts." if self.counts is Counting.LAST
                     else "Your best graded attempt counts.")
        return lines

    def deadline_text(self, late_rule: str) -> str:
        """The sentence about the due date and when grading on arrival stops."""
        if self.due is None and self.closing is None:
            return "No deadline is set yet."
        parts = []
        if self.due is not None:
            parts.append(f"Due {describe_time(self.due)} (an extension moves it); {late_rule}")
        if self.closing is not None:
            parts.append(f"Submissions after {describe_time(self.closing)} are not graded on arrival.")
        return " ".join(parts)


def _int_or_none(value: Any, _parse: Callable) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"must be a whole number >= 1 or None, not {value!r}")
    return value


def _bool(value: Any, _parse: Callable) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be True or False, not {value!r}")
    return value


def _time(value: Any, parse: Callable[[str], datetime]) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError(f"must be a date and time such as '2026-03-02 17:00:00 UTC', not {value!r}")
    return parse(value)


_READERS: dict[str, Callable[[Any, Callable], Any]] = {
    "arrival": _bool,
    "feedback": lambda v, _p: Feedback(v),
    "attempts": _int_or_none,
    "cooldown": lambda v, _p: parse_duration(v),
    "counts": lambda v, _p: Counting(v),
    "due": _time,
    "closes": _time,
}
