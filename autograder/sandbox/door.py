"""The door of a warm parent: how other grading processes share one (a local worker pool).

The owner's :meth:`Sandbox.door <autograder.sandbox.client.Sandbox.door>` hands out a
:class:`SandboxDoor`; each process that :meth:`~SandboxDoor.open`\\ s it gets a connection of
its own, a :class:`~autograder.sandbox.client.Sandbox` whose children the warm parent kills
when that process closes it or dies.
"""
from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

from autograder.sandbox.connection import SandboxBroken
from autograder.sandbox.policy import Limits

if TYPE_CHECKING:
    from autograder.sandbox.client import Sandbox


@dataclass(frozen=True)
class SandboxDoor:
    """Picklable while a multiprocessing process starts (pass it in the pool's ``initargs``:
    the socket travels as a descriptor)."""

    sock: socket.socket
    limits: Limits
    course_root: str

    def open(self, timeout: float = 180) -> Sandbox:
        from autograder.sandbox.client import Sandbox

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            socket.send_fds(self.sock, [json.dumps({"op": "connect"}).encode()], [theirs.fileno()])
        except OSError as exc:
            ours.close()
            raise SandboxBroken(f"the shared sandbox server is gone: {exc}") from exc
        finally:
            theirs.close()
        return Sandbox.attached(ours, self.limits, self.course_root, timeout)
