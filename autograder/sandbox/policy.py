"""The sandbox's isolation, declared in one place (read it like an nsjail or bubblewrap config).

Which path the warm parent takes depends on where it runs; it tries them in this order and
reports the one it reached (``Sandbox.isolation``, every outcome's ``isolation``, the report):

=================  ==========================================  ==================================================
path               where                                       level reached (plus ``seccomp``, ``memcg``,
                                                               ``landlock`` where had)
=================  ==========================================  ==================================================
``root``           root with CAP_SYS_ADMIN                     ``netns+mountns+pidns+uid+rlimits``
``userns-root``    root without CAP_SYS_ADMIN (a default       ``netns+mountns+pidns+userns+uid+rlimits``: a user
                   Docker or Kubernetes container)             namespace mapping every uid to itself, written by a
                                                               helper left in the parent namespace (CAP_SETUID)
``userns``         any other user, user namespaces allowed     ``netns+mountns+pidns+userns+rlimits``: the user
                                                               is root of its own namespace, children share its uid
``none``           user namespaces blocked (Docker's default   ``uid+rlimits`` as root, ``rlimits`` otherwise
                   seccomp profile refuses ``unshare``)
=================  ==========================================  ==================================================

What each level hides from a child's code (the instructor-only files: the repository's
``autograder/`` tree with the held-out curve bank and the tuning data, ``source/``, the
gradebook, every student's ``submitted/``, ``autograded/``, ``feedback/`` and ``outcomes/``,
the exchange):

* ``mountns``: the course root, the repo root, :data:`HIDDEN_SYSTEM_DIRS` and the ``hide``
  paths are empty read-only tmpfs in the child's mount namespace (only the interpreter, venv,
  ``lrlab`` and ``keep`` bound back, read-only); ``/tmp``, ``/var/tmp``, ``/dev/shm`` are its own.
* ``landlock`` (Linux >= 5.13, :mod:`autograder.sandbox._landlock`, at every path where the
  kernel allows it): the same paths are out of the child's reach by an allow-list — read
  and execute the rest (of ``/dev`` only :data:`DEVICES`), write only its own temp folder(s)
  and :data:`DEVICES`. Opening, listing, writing, creating, removing or truncating anything
  else fails with ``PermissionError``; only ``stat`` still works on a hidden path
  (existence, size, times: no content). Modes, owners and times are not Landlock's: a
  child that shares the grader's uid without a mount namespace may not change any
  (:data:`SECCOMP_DENIED_SHARED_UID`).
* neither (path ``none`` on a kernel without Landlock): nothing is hidden. As root each child
  has a uid of its own and reads what the permission bits give every user; otherwise it runs
  under the grader's own uid and reads and WRITES all the grader can. So grading refuses to
  start at such a level (``grader_error``, exit status 3, no score written) unless every
  instructor-only path is out of the child uid's reach by its permission bits
  (:func:`autograder.sandbox.exposure.exposed_paths`) or the instructor passes
  ``--allow-weak-isolation``.

Every path then applies the same per-child set-up where the kernel allows it (see
``_server.Server._enter_child``): own session, network and IPC namespaces, own mount
namespace with the private tmpfs below, rlimits (:data:`RLIMITS`), own uid where the
path has uids to give, no capabilities, ``no_new_privs``, the seccomp filter
(:data:`SECCOMP_DENIED`), the memory limit (:data:`MEMORY_MECHANISMS`) and the Landlock
file allow-list.
"""
from __future__ import annotations

#: Namespace paths, in the order tried: (name, who takes it).
NAMESPACE_PATHS: tuple[tuple[str, str], ...] = (
    ("root", "root with CAP_SYS_ADMIN: unshare network and mount namespaces directly"),
    ("userns-root", "root without CAP_SYS_ADMIN: a user namespace mapping every uid to itself"),
    ("userns", "an unprivileged user: a user namespace where it alone is mapped (as root)"),
    ("none", "no namespace can be created: rlimits (and a uid of its own as root) only"),
)

#: Hidden from every child behind an empty read-only tmpfs (besides the course and repo roots).
HIDDEN_SYSTEM_DIRS = ("/root", "/home", "/run", "/srv", "/mnt", "/media", "/var/tmp", "/var/mail", "/var/spool")

#: The machine's shared temp folders: each child has private ones (a tmpfs in its mount
#: namespace, else a folder of its own below ``/tmp``), never the shared ones.
SHARED_TMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm")

#: Character devices a child may read and write (its stdio is ``/dev/null``).
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")

#: The parts of a level that put the instructor-only files out of a child's reach.
FILE_HIDING_PARTS = ("mountns", "landlock")

#: Private to each child, empty at its start: (mount point, size, noexec).
CHILD_TMPFS = (("/tmp", "disk_bytes", False), ("/dev/shm", "1m", True), ("/var/tmp", "1m", True))

#: Resource limits of each child: (resource, :class:`~autograder.sandbox.Limits` field).
RLIMITS = (("RLIMIT_AS", "memory_bytes"), ("RLIMIT_CPU", "cpu_seconds"), ("RLIMIT_NPROC", "max_processes"),
           ("RLIMIT_FSIZE", "file_bytes"), ("RLIMIT_NOFILE", "open_files"), ("RLIMIT_CORE", None))

#: System calls a child may not make (they fail with ENOSYS), by family. No student answer
#: needs any of them: they inspect or change other processes, the kernel, mounts or
#: namespaces — the very walls of the sandbox.
SECCOMP_DENIED: dict[str, tuple[str, ...]] = {
    "ptrace": ("ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd"),
    "mount": ("mount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount", "fspick",
              "move_mount", "open_tree", "mount_setattr"),
    "namespaces": ("unshare", "setns"),
    "keyring": ("keyctl", "add_key", "request_key"),
    "bpf": ("bpf",),
    "perf": ("perf_event_open",),
    "kexec": ("kexec_load", "kexec_file_load", "reboot"),
    "modules": ("init_module", "finit_module", "delete_module"),
    "personality": ("personality",),
    "userfaultfd": ("userfaultfd",),
    "accounting": ("acct", "swapon", "swapoff", "quotactl", "settimeofday", "clock_settime", "adjtimex",
                   "clock_adjtime", "sethostname", "setdomainname", "syslog", "iopl", "ioperm",
                   "open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "vhangup"),
}

#: Also denied (with EPERM) to a child that runs under the grader's own uid with no mount
#: namespace (path ``none`` as a user other than root): Landlock guards the content of the
#: grader's files, not their metadata, and as their owner that child could change their
#: modes, owners, times and extended attributes. No student answer needs these calls.
SECCOMP_DENIED_SHARED_UID = ("chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat",
                             "utime", "utimes", "futimesat", "utimensat", "setxattr", "lsetxattr", "fsetxattr",
                             "removexattr", "lremovexattr", "fremovexattr")

#: How a child's memory is limited, best first: a memory cgroup of its own where one can be
#: created (cgroup v2, then v1), else the address-space rlimit alone.
MEMORY_MECHANISMS = ("cgroup2", "cgroup1", "rlimit_as")

#: The parts of an isolation level, in the order they are written.
LEVEL_PARTS = ("netns", "mountns", "pidns", "userns", "uid", "seccomp", "landlock", "memcg", "rlimits")


def missing_parts(required: str, level: str) -> list[str]:
    """The parts of ``required`` (``netns+mountns``, say) that ``level`` does not have.

    Raises ValueError for a part no level has (a typo must not pass as satisfied)."""
    wanted = [p for p in required.split("+") if p]
    unknown = [p for p in wanted if p not in LEVEL_PARTS]
    if unknown:
        raise ValueError(f"unknown isolation part(s) {', '.join(unknown)} (known: {'+'.join(LEVEL_PARTS)})")
    have = set(level.split("+"))
    return [p for p in wanted if p not in have]


def hides_files(level: str) -> bool:
    """Whether ``level`` puts the instructor-only files out of a child's reach by itself."""
    return any(part in level.split("+") for part in FILE_HIDING_PARTS)
