"""The children's seccomp filter (libseccomp through ``pyseccomp``), built from the policy's
:attr:`~autograder.sandbox.policy.Policy.seccomp_denied`.

Built once in the warm parent (:func:`build`), loaded by each child (:meth:`Filter.load`)
after ``no_new_privs`` and before any student code. A denied call fails with ``ENOSYS`` —
"no such system call here", which libraries treat as unsupported (glibc falls back from
``clone3`` to ``clone``), and which a test can tell apart from a plain lack of privilege
(``EPERM``). Besides the listed calls: ``clone`` with any namespace flag (``clone3``'s flags
are behind a pointer, so ``clone3`` as a whole, as Docker's default profile does). For a
child that shares the grader's uid without a mount namespace, also the calls that change
file metadata (:attr:`~autograder.sandbox.policy.Policy.seccomp_denied_shared_uid`), with EPERM.
"""
from __future__ import annotations

import errno
from typing import Any

from autograder.sandbox._linux import (
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWNS,
    CLONE_NEWPID,
    CLONE_NEWUSER,
)
from autograder.sandbox.policy import Policy

CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
NAMESPACE_FLAGS = (CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET)
DENIED_ERRNO = errno.ENOSYS


class Filter:
    """A built filter; :meth:`load` applies it to the calling process (irreversibly)."""

    def __init__(self, native: Any, denied: list[str]) -> None:
        self._native = native
        self.denied = denied

    def load(self) -> None:
        self._native.load()


def build(policy: Policy, shared_uid: bool = False) -> tuple[Filter | None, str]:
    """The filter, or (None, why it cannot be had here: no pyseccomp or no libseccomp).
    ``shared_uid``: the children run as the grader, in its mount namespace."""
    try:
        import pyseccomp as sc
    except (ImportError, OSError) as exc:  # OSError: libseccomp.so.2 missing
        return None, f"no libseccomp: {type(exc).__name__}: {exc}"[:200]
    action = sc.ERRNO(DENIED_ERRNO)
    native = sc.SyscallFilter(sc.ALLOW)
    denied: list[str] = []
    for names in policy.seccomp_denied.values():
        for name in names:
            if sc.resolve_syscall(sc.Arch.NATIVE, name) < 0:
                continue  # not a system call of this architecture
            native.add_rule(action, name)
            denied.append(name)
    for flag in NAMESPACE_FLAGS:
        native.add_rule(action, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    if sc.resolve_syscall(sc.Arch.NATIVE, "clone3") >= 0:
        native.add_rule(action, "clone3")
        denied.append("clone3")
    for name in policy.seccomp_denied_shared_uid if shared_uid else ():
        if sc.resolve_syscall(sc.Arch.NATIVE, name) >= 0:
            native.add_rule(sc.ERRNO(errno.EPERM), name)
            denied.append(name)
    return Filter(native, denied), ""
