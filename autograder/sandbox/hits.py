"""The trusted end of a child's report descriptor: what its tripwire reported, as it happened.

Each answer child gets a second socket besides its protocol socket (:mod:`autograder.sandbox.
connection`): the child's end becomes its report descriptor, write only
(:mod:`autograder.sandbox._enter`); the tripwire writes one line per hit to it before the
forbidden code runs on (:mod:`autograder.harness.tripwire`). This end drains it whenever the
trusted side waits for the child (so the child never blocks on a full socket), when asked, and
before the child is closed, and keeps what it read here: nothing the child does later can
take a hit back. Lines that are not hits (forged, cut, a flood past :data:`MAX_BYTES`) mark
the record malformed, which the scorer treats as a disarmed wire.
"""
from __future__ import annotations

import os

from autograder.harness.tripwire import HIT, Hits

#: What one child may write in all; past it, the rest is read and dropped (and counts as tampering).
MAX_BYTES = 64 << 20
#: Distinct hits kept (a loop repeats the same few).
MAX_HITS = 10_000


class HitReader:
    """Reads one child's report descriptor (the trusted end: ``fd``, owned from now on,
    read without blocking) into :attr:`hits`."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        os.set_blocking(fd, False)
        self._uses: set[tuple[str, str]] = set()
        self._partial = b""
        self._read = 0
        self._malformed = False
        self.eof = False  # the child closed its end (or died): nothing more will come

    def fileno(self) -> int:
        return self.fd

    def drain(self) -> None:
        """Read everything the child has written so far."""
        while True:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.eof = True
                return
            if not chunk:
                self.eof = True
                return
            self._read += len(chunk)
            if self._read > MAX_BYTES:
                self._malformed = True
                self._partial = b""
                continue
            *lines, self._partial = (self._partial + chunk).split(b"\n")
            for line in lines:
                self._add(line)
            if len(self._partial) > 512:
                self._malformed = True
                self._partial = b""

    def _add(self, line: bytes) -> None:
        match = HIT.fullmatch(line)
        if match is None:
            self._malformed = True
        elif len(self._uses) < MAX_HITS:
            self._uses.add((match.group(1).decode(), match.group(2).decode()))

    @property
    def hits(self) -> Hits:
        """Everything read so far (drain first for the latest)."""
        return Hits(frozenset(self._uses), self._malformed or bool(self._partial))

    def close(self) -> None:
        """Drain what is left, then close this end (the hits stay readable)."""
        if self.fd < 0:
            return
        self.drain()
        os.close(self.fd)
        self.fd = -1
