"""One queue per student: nobody's submissions make anybody else wait longer.

The grading service holds the attempts waiting to be graded here. Each student has a queue
of their own and at most one of their attempts is graded at a time (so one student never
holds more than one worker); the next attempt graded is the queue head that comes first in
the order the service gives — every student's first attempt before anyone's second, then by
arrival. A student who submits many times in a minute (those not refused by the cool-down)
queues behind their own attempts only, and everyone else's first attempt goes ahead of their
second.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(order=True)
class Waiting(Generic[T]):
    """An item and its place in time (what ``order`` compares: arrival, then a tie-breaker)."""

    order: tuple
    student: Hashable = field(compare=False)
    item: T = field(compare=False)


class FairQueue(Generic[T]):
    """Per-student FIFO queues served oldest-head-first, one item per student in flight."""

    def __init__(self) -> None:
        self._queues: dict[Hashable, deque[Waiting[T]]] = {}
        self._busy: set[Hashable] = set()

    def put(self, student: Hashable, item: T, order: tuple) -> None:
        """Queue ``item`` of ``student``; ``order`` (e.g. (attempt number, arrival, id)) places it."""
        queue = self._queues.setdefault(student, deque())
        queue.append(Waiting(order, student, item))
        if len(queue) > 1 and queue[-2] > queue[-1]:  # an older one noticed late: keep the queue sorted
            self._queues[student] = deque(sorted(queue))

    def take(self) -> T | None:
        """The next item to grade (its student is then busy until :meth:`done`), or None."""
        heads = [q[0] for s, q in self._queues.items() if q and s not in self._busy]
        if not heads:
            return None
        head = min(heads)
        self._queues[head.student].popleft()
        self._busy.add(head.student)
        return head.item

    def done(self, student: Hashable) -> None:
        """``student``'s item in flight is finished: their next one may go."""
        self._busy.discard(student)
        if not self._queues.get(student):
            self._queues.pop(student, None)

    def ahead_of(self, student: Hashable) -> int:
        """How many items are ahead of ``student``'s oldest waiting one (0 when none waits)."""
        queue = self._queues.get(student)
        if not queue:
            return 0
        mine = queue[0]
        return sum(1 for q in self._queues.values() for w in q if w < mine)

    @property
    def ready(self) -> bool:
        """Some student not in flight has an item waiting (:meth:`take` would return one)."""
        return any(q for s, q in self._queues.items() if s not in self._busy)

    def __len__(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def __iter__(self) -> Iterator[T]:
        return (w.item for q in self._queues.values() for w in q)
