"""The children's Landlock domain (Linux >= 5.13), through its three system calls.

Any process may restrict itself with Landlock, without privileges and whether or not it
could make a mount namespace. Each child, before any student code, keeps only:

* **read** (open, list, execute) of its file view's allow-list
  (:mod:`autograder.sandbox._view`), and, where that view is its own mount namespace, the
  listing of every folder of it (the view holds nothing else);
* **everything** in its private folders (its own temp folder; in a mount namespace also its
  other private tmpfs, ``/dev/shm`` and ``/var/tmp``);
* read and write of the harmless character devices (the policy's ``devices``);
* where the kernel's Landlock ABI has them: no TCP at all (ABI 4), and *scoping* (ABI 6):
  no signal to a process outside the child's own domain (the warm parent, the grading
  processes, any other child, each of which is outside it or in a domain of its own), and no
  connection to an abstract unix socket made outside it. Landlock has always kept a domain
  from tracing (``ptrace``, ``/proc/<pid>/mem``) any process outside it.

Anything else — reading, writing, creating, removing, renaming, truncating — fails with
``PermissionError`` whatever the permission bits say. Landlock does not govern path lookup
or metadata: a child can still ``stat`` a path it may not open. The ``landlock`` binding on
PyPI knows neither scoping nor network rules, so this module makes the calls itself.
"""
from __future__ import annotations

import ctypes
import os
from collections.abc import Iterable

_SYSCALLS = {"create_ruleset": 444, "add_rule": 445, "restrict_self": 446}  # the same on every architecture
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

# File system rights, by the ABI that introduced them.
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_RIGHTS = {1: (1 << 13) - 1, 2: 1 << 13, 3: 1 << 14, 5: 1 << 15}  # v1: bits 0-12; REFER, TRUNCATE, IOCTL_DEV
_IOCTL_DEV = 1 << 15
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | (1 << 14) | _IOCTL_DEV  # what a rule on a file may hold
_NET_TCP = 0b11  # ABI 4: bind and connect
_SCOPES = 0b11  # ABI 6: abstract unix sockets, signals
#: The first ABI with scoping (signals, abstract unix sockets).
SCOPE_ABI = 6

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1  # the kernel's struct is packed
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _call(name: str, *args: object) -> int:
    result = _libc.syscall(ctypes.c_long(_SYSCALLS[name]), *args)
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"landlock_{name}: {os.strerror(err)}")
    return result


def abi_version() -> tuple[int, str]:
    """The kernel's Landlock ABI version, or (0, why there is none here)."""
    try:
        return _call("create_ruleset", None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION)), ""
    except OSError as exc:  # ENOSYS: not built in; EOPNOTSUPP: disabled at boot; EPERM: a seccomp profile
        return 0, f"Landlock unavailable: {exc}"[:200]


def handled_fs(abi: int) -> int:
    """Every file system right the kernel of Landlock ABI ``abi`` knows."""
    return sum(bits for version, bits in _FS_RIGHTS.items() if abi >= version)


def restrict(abi: int, readable: Iterable[str], private: Iterable[str], devices: Iterable[str],
             list_all: bool) -> None:
    """Put this process in a Landlock domain (irreversibly; sets ``no_new_privs``).

    ``readable``: trees (or files) to read and execute; ``private``: trees with every right;
    ``devices``: character devices to read and write; ``list_all``: every folder may be
    listed (a view that holds only the allow-list). A path that vanished since the list was
    made is skipped (nothing beneath it was allowed)."""
    handled = handled_fs(abi)
    attr = _RulesetAttr(handled, _NET_TCP if abi >= 4 else 0, _SCOPES if abi >= SCOPE_ABI else 0)
    size = ctypes.sizeof(ctypes.c_uint64) * (3 if abi >= SCOPE_ABI else 2 if abi >= 4 else 1)
    ruleset = _call("create_ruleset", ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    read = READ_FILE | READ_DIR | EXECUTE
    device = (READ_FILE | WRITE_FILE | _IOCTL_DEV) & handled
    rules = [("/", READ_DIR)] if list_all else []
    rules += [(p, read) for p in readable] + [(p, handled) for p in private] + [(p, device) for p in devices]
    try:
        for path, rights in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                if not os.path.isdir(path):
                    rights &= _FILE_RIGHTS
                rule = _PathBeneath(rights, fd)
                _call("add_rule", ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH), ctypes.byref(rule),
                      ctypes.c_uint32(0))
            finally:
                os.close(fd)
        if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        _call("restrict_self", ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)
