"""JSON lines over a stream socket: the only format that crosses the sandbox boundary.

Used by both sides. The trusted side always reads with a deadline and a size cap, and
the only deserialiser it applies to what it reads is :func:`json.loads`.
"""
from __future__ import annotations

import json
import select
import socket
import time
from typing import Any, Protocol


class Drainable(Protocol):
    """A socket read on the side while waiting for a message (it must never block); once
    its peer has closed it (``eof``) it is no longer waited on."""

    eof: bool

    def fileno(self) -> int: ...

    def drain(self) -> None: ...


class ChannelClosed(Exception):
    """The other end went away (end of file or a broken connection)."""


class ChannelTimeout(Exception):
    """No complete message arrived before the deadline."""


class MessageTooLarge(Exception):
    """A message (or the unterminated rest of one) exceeded the size cap."""


class BadMessage(Exception):
    """A line that is not valid JSON (or nests too deeply, or holds an enormous number)."""


class Channel:
    """Newline-delimited JSON on a connected stream socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buf = bytearray()
        self.bytes_received = 0

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, obj: Any, timeout: float | None = None) -> None:
        data = (json.dumps(obj, allow_nan=True, separators=(",", ":")) + "\n").encode()
        try:
            self.sock.settimeout(timeout)
            self.sock.sendall(data)
        except TimeoutError as exc:
            raise ChannelTimeout("send timed out") from exc
        except OSError as exc:
            raise ChannelClosed(str(exc)) from exc
        finally:
            try:
                self.sock.settimeout(None)
            except OSError:
                pass

    def recv(self, timeout: float | None, max_bytes: int, side: Drainable | None = None) -> Any:
        """The next message; ``timeout`` None waits forever. ``side``: another of the child's
        sockets to drain while waiting (its report descriptor, :mod:`autograder.sandbox.hits`)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            newline = self._buf.find(b"\n")
            if newline >= 0:
                line = bytes(self._buf[:newline])
                del self._buf[: newline + 1]
                if len(line) > max_bytes:
                    raise MessageTooLarge(f"{len(line)} bytes")
                try:
                    return json.loads(line)
                except (ValueError, RecursionError) as exc:
                    raise BadMessage(type(exc).__name__) from None
            if len(self._buf) > max_bytes:
                raise MessageTooLarge(f"more than {max_bytes} bytes")
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise ChannelTimeout("no reply before the deadline")
            try:
                waiting = [self.sock, *([side] if side is not None and not side.eof else [])]
                ready, _, _ = select.select(waiting, [], [], remaining)
            except (OSError, ValueError) as exc:
                raise ChannelClosed(str(exc)) from exc
            if side is not None and side in ready:
                side.drain()
                if self.sock not in ready:
                    continue
            if not ready:
                raise ChannelTimeout("no reply before the deadline")
            try:
                chunk = self.sock.recv(1 << 16)
            except OSError as exc:
                raise ChannelClosed(str(exc)) from exc
            if not chunk:
                raise ChannelClosed("end of file")
            self.bytes_received += len(chunk)
            self._buf += chunk

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
