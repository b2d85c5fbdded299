"""Starting and stopping a warm parent (:mod:`autograder.sandbox._server`) from the trusted side.

:func:`start` launches it with a scrubbed environment, a control socket (the owner's
:class:`~autograder.sandbox.connection.Connection`) and a door socket (for other grading
processes, :mod:`autograder.sandbox.door`), and sends it its configuration: the
:class:`~autograder.sandbox.policy.Policy`, what to hide and keep, what to preload, the
harness modules its children offer, and — as root — a block of uids locked for this sandbox
alone (:mod:`autograder.sandbox._uids`). :meth:`ServerProcess.stop` asks it to shut down
(it kills every child first), waits for it, and releases what the start took.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from autograder import REPO_ROOT
from autograder.sandbox import _cgroup
from autograder.sandbox.policy import THREADS_AND_PLOTS, Policy


@dataclass(frozen=True)
class Config:
    """What a warm parent is told when it starts (sent as JSON, :meth:`to_plain`)."""

    policy: Policy
    hide: tuple[str, ...]  # resolved paths no child may see (besides the policy's system folders)
    keep: tuple[str, ...]  # resolved paths children must see although they lie under a hidden one
    preload: tuple[str, ...]  # modules the warm parent imports (with their submodules)
    harness: tuple[str, ...]  # modules whose HARNESS every child offers (autograder.harness.discover)
    repo_root: str
    uid_block: int | None = None  # first uid of this sandbox's locked block (as root)
    uid_block_error: str = ""

    def to_plain(self) -> dict[str, Any]:
        return {"policy": self.policy.to_plain(), "hide": list(self.hide), "keep": list(self.keep),
                "preload": list(self.preload), "harness": list(self.harness), "repo_root": self.repo_root,
                "uid_block": self.uid_block, "uid_block_error": self.uid_block_error}

    @classmethod
    def from_plain(cls, data: dict[str, Any]) -> Config:
        return cls(Policy.from_plain(data["policy"]), tuple(data["hide"]), tuple(data["keep"]),
                   tuple(data["preload"]), tuple(data["harness"]), data["repo_root"], data["uid_block"],
                   data["uid_block_error"])


class ServerProcess:
    """The warm parent's process as its owner holds it (see the module doc)."""

    def __init__(self, config: Config) -> None:
        self.tmp: str | None = tempfile.mkdtemp(prefix="lrlab-sandbox-")
        os.chmod(self.tmp, 0o700)
        uids, self._uid_lock, uid_error = _lock_uid_block(config.policy)
        #: The uids this sandbox's children may run as (its locked block); None without one.
        self.uids: range | None = uids
        config = replace(config, uid_block=None if uids is None else uids.start, uid_block_error=uid_error)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        door, door_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.control: socket.socket = ours
        self.door: socket.socket = door
        env = {
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "HOME": self.tmp, "TMPDIR": self.tmp, "LANG": "C.UTF-8",
            **THREADS_AND_PLOTS,
            # matplotlib's font cache: reuse the caller's (or the repo's) instead of rebuilding it.
            "MPLCONFIGDIR": os.environ.get("MPLCONFIGDIR", str(REPO_ROOT / ".cache" / "matplotlib")),
            "IPYTHONDIR": os.path.join(self.tmp, "ipython"),
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1", "PYTHONPATH": str(REPO_ROOT),
        }
        self.proc: subprocess.Popen = subprocess.Popen(
            [sys.executable, "-m", "autograder.sandbox", str(theirs.fileno()), str(door_theirs.fileno())],
            pass_fds=[theirs.fileno(), door_theirs.fileno()], env=env, cwd=self.tmp, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        theirs.close()
        door_theirs.close()
        self.pid: int = self.proc.pid  # outside any PID namespace
        try:
            ours.send(json.dumps(config.to_plain()).encode())
        except BaseException:
            self.stop(asked=False)
            raise

    def started(self) -> None:
        """The warm parent said hello: it needed its HOME/IPYTHONDIR only while starting, so
        nothing is left behind even if this object is never stopped."""
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, asked: bool) -> None:
        """Wait for the warm parent to end (``asked``: it was asked to shut down; else it is
        killed after 10 s), then remove its temp folder and what it left of its cgroups, and
        free its uid block."""
        for sock in (self.control, self.door):
            try:
                sock.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10 if asked else 0.1)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        _cgroup.remove_leftovers(self.pid)  # if it could not (killed, or failed to start)
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        if self._uid_lock is not None:
            os.close(self._uid_lock)  # the uid block is free again (every child is dead)
            self._uid_lock = None


def _lock_uid_block(policy: Policy) -> tuple[range | None, int | None, str]:
    """As root: a block of uids for the children that no other grading process of this
    machine holds, and the descriptor holding it; else (None, None, why not)."""
    if os.geteuid() != 0:
        return None, None, ""
    from autograder.sandbox import _uids

    blocks = policy.uids
    try:
        first, fd = _uids.acquire(blocks.first_uid, blocks.uids_per_sandbox, blocks.sandbox_blocks)
    except (OSError, _uids.NoFreeBlock) as exc:
        return None, None, str(exc)[:200]
    return range(first, first + blocks.uids_per_sandbox), fd, ""
