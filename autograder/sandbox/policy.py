"""The sandbox's isolation, declared in one place: one frozen :class:`Policy` (read it like an
nsjail or bubblewrap config).

:func:`build` makes the policy of a sandbox from its :class:`Limits`; the sandbox sends it to
its warm parent (:mod:`autograder.sandbox._server`), which sets itself up and every child by
it (:mod:`autograder.sandbox._enter`: the file view, the private tmpfs sizes, the rlimits,
the cgroups, the environment, the namespaces, the seccomp filter and the devices all come
from here) and names the level it reached from its :attr:`Policy.level_rules`
(:class:`Level`). :data:`POLICY` is the default, as ``python -m autograder grade --help``
prints it (:func:`describe`).

Which path the warm parent takes depends on where it runs; it tries them in this order and
reports the one it reached (``Sandbox.isolation``, every outcome's ``isolation``, the report).
On this project's machines (Linux 6.18, Landlock ABI 7, cgroups v1, autogroup on, no
``newuidmap``) the levels are:

=================  ==========================================  ==================================================
path               where                                       level reached
=================  ==========================================  ==================================================
``root``           root with CAP_SYS_ADMIN                     ``netns+mountns+pidns+pidns-per-child+uid+seccomp+
                                                               landlock+landlock-scope+memcg+autogroup+cpucg+
                                                               pidscg+rlimits``
``userns-root``    root without CAP_SYS_ADMIN (a default       the same ``+userns``: a user namespace mapping every
                   Docker or Kubernetes container)             uid to itself, written by a helper left in the
                                                               parent namespace (CAP_SETUID); cgroups where the
                                                               container's cgroupfs is writable
``userns``         any other user, user namespaces allowed     ``netns+mountns+pidns+pidns-per-child+userns+
                                                               seccomp+landlock+landlock-scope+autogroup+rlimits``:
                                                               the user is root of its own namespace, children
                                                               share its uid (only its own uid can be mapped
                                                               without /etc/subuid and ``newuidmap``), no cgroup
``none``           user namespaces blocked (Docker's default   ``uid+seccomp+landlock+landlock-scope+autogroup+
                   seccomp profile refuses ``unshare``)        rlimits`` as root (and its cgroups where they can
                                                               be made), the same without ``uid`` otherwise
=================  ==========================================  ==================================================

**What a child reads** (the instructor-only files — the repository's ``autograder/`` tree
with the held-out curve bank and the tuning data, ``source/``, the gradebook, every student's
``submitted/``, ``autograded/``, ``feedback/`` and ``outcomes/``, the exchange — and every
other copy of the course on the machine): an allow-list, :attr:`Policy.read_only` (the
interpreter and the libraries it loaded, the standard library, the venv, ``lrlab``, a few
files of ``/etc``), its own ``/proc``, :attr:`Policy.devices` and its private folders —
nothing else (:mod:`autograder.sandbox._view`):

* ``mountns``: the warm parent's root is built from an empty tmpfs holding the allow-list
  alone (bound in read-only) and every child starts from it, with :attr:`Policy.child_tmpfs`
  its own; the rest of the machine is not reachable by any path.
* ``landlock`` (Linux >= 5.13, :mod:`autograder.sandbox._landlock`, at every path where the
  kernel allows it): the same allow-list enforced by the kernel — read and execute it, write
  only its own temp folder(s) and the devices. Anything else fails with ``PermissionError``;
  only ``stat`` still works on a path outside (existence, size, times: no content). Modes,
  owners and times are not Landlock's: a child that shares the grader's uid without a mount
  namespace may not change any (:attr:`Policy.seccomp_denied_shared_uid`).
* neither (path ``none`` on a kernel without Landlock): nothing is hidden. As root each child
  has a uid of its own and reads what the permission bits give every user; otherwise it runs
  under the grader's own uid and reads and WRITES all the grader can. So grading refuses to
  start at such a level (``grader_error``, exit status 3, no score written) unless every
  instructor-only path is out of the child uid's reach by its permission bits
  (:func:`autograder.sandbox.exposure.exposed_paths`) or the instructor passes
  ``--allow-weak-isolation``.

**One student can never harm another** where the level has any one of :data:`SEPARATING`
(:attr:`Level.separates_students`): ``pidns-per-child`` (each child is pid 1 of a PID namespace
of its own: it sees, signals and outlives none but its own processes, all of which die with
it), ``uid`` (each child a uid of its own; the warm parent kills every process of a child's
uid once it ends) or ``landlock-scope`` (Landlock ABI >= 6: no signal to, nor abstract socket
of, any process outside the child's own domain). Everywhere the warm parent ignores
:attr:`Policy.ignored_signals`, kills any process that leaves a child's tree (it is their
subreaper) and Landlock keeps a child from tracing any process outside it. A level without any
of the three is refused by default, like a level that hides no file (``--allow-weak-isolation``
accepts the risk). Fairness: a child's processes together get a CPU cgroup's share
(``cpucg``, :attr:`Limits.cpu_share`) where one can be made, else, with the scheduler's
autogroup, one session's share (``autogroup``: a child may not start a new session); every
time limit is judged in the child's own CPU time, with a wall-clock backstop at
:attr:`Limits.wall_factor` times it, so a child slowed down by another is not blamed for it.

Every path then applies the same per-child set-up where the kernel allows it: its cgroups,
own session, the namespaces of :attr:`Policy.child_namespaces`, own mount namespace with the
private tmpfs and its own ``/proc``, the rlimits, :attr:`Policy.oom_score_adj`, own uid where
the path has uids to give (:attr:`Policy.uids`), no capabilities, ``no_new_privs``, the
seccomp filter, the Landlock domain and :attr:`Policy.environment` as its whole environment.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed child (the numbers of :func:`build`'s policy)."""

    cell_seconds: float = 30  # one cell of an answer program while it loads
    call_seconds: float = 10  # one request to a loaded answer program
    check_seconds: float = 60  # all the requests of one check
    memory_bytes: int = 2 << 30  # address space on top of the warm parent's
    cpu_seconds: int = 600  # a backstop: the wall-clock limits above stop a child first
    max_processes: int = 64  # per uid (each child has its own uid when root)
    file_bytes: int = 16 * MiB  # largest file it may write
    disk_bytes: int = 64 * MiB  # size of its private /tmp
    open_files: int = 256
    cpu_share: float = 1.0  # CPUs all of a child's processes together may use (where it has a CPU cgroup)
    wall_factor: float = 3.0  # time limits are judged in CPU time; the wall clock stops a child at this multiple
    output_bytes: int = 1 * MiB  # stdout + stderr text
    reply_bytes: int = 4 * MiB  # one JSON reply of a loaded answer program
    notebook_bytes: int = 32 * MiB  # all outputs of one executed notebook (figures included)


#: The warm parent's namespace paths, in the order :mod:`autograder.sandbox._namespaces` tries
#: them (the table above): (name, who takes it). A property of the machine, not a setting.
NAMESPACE_PATHS: tuple[tuple[str, str], ...] = (
    ("root", "root with CAP_SYS_ADMIN: unshare network and mount namespaces directly"),
    ("userns-root", "root without CAP_SYS_ADMIN: a user namespace mapping every uid to itself"),
    ("userns", "an unprivileged user: a user namespace where it alone is mapped (as root)"),
    ("none", "no namespace can be created: rlimits (and a uid of its own as root) only"),
)


# --------------------------------------------------------------------------- levels


class Part(StrEnum):
    """One part of an isolation level; the order here is the order a level is written in."""

    NETNS = "netns"
    MOUNTNS = "mountns"
    PIDNS = "pidns"
    PIDNS_PER_CHILD = "pidns-per-child"
    USERNS = "userns"
    UID = "uid"
    SECCOMP = "seccomp"
    LANDLOCK = "landlock"
    LANDLOCK_SCOPE = "landlock-scope"
    MEMCG = "memcg"
    AUTOGROUP = "autogroup"
    CPUCG = "cpucg"
    PIDSCG = "pidscg"
    RLIMITS = "rlimits"


#: The parts that put the instructor-only files out of a child's reach.
FILE_HIDING = frozenset({Part.MOUNTNS, Part.LANDLOCK})
#: The parts of which any one keeps students apart: a child can then signal, trace or outlive
#: none but its own processes — not another child, not the warm parent, not a grading process.
SEPARATING = frozenset({Part.PIDNS_PER_CHILD, Part.UID, Part.LANDLOCK_SCOPE})


@dataclass(frozen=True)
class Level:
    """An isolation level: the parts a sandbox reached (or that are required), e.g. written
    ``netns+mountns+pidns+uid+seccomp+landlock+memcg+rlimits``."""

    parts: frozenset[Part] = frozenset()

    @classmethod
    def parse(cls, text: str) -> Level:
        """A level from its written form; ValueError for a part no level has (a typo must
        not pass as satisfied). The empty text is the empty level."""
        names = [p for p in text.split("+") if p]
        unknown = [p for p in names if p not in Part.__members__.values()]
        if unknown:
            raise ValueError(f"unknown isolation part(s) {', '.join(unknown)} (known: {'+'.join(Part)})")
        return cls(frozenset(Part(p) for p in names))

    def __str__(self) -> str:
        return "+".join(part for part in Part if part in self.parts)

    def __contains__(self, part: object) -> bool:
        return part in self.parts

    def __bool__(self) -> bool:
        return bool(self.parts)

    def missing(self, required: Level) -> list[Part]:
        """The parts of ``required`` this level lacks (in written order)."""
        return [part for part in Part if part in required.parts and part not in self.parts]

    @property
    def hides_files(self) -> bool:
        """Whether this level puts the instructor-only files out of a child's reach by itself."""
        return bool(self.parts & FILE_HIDING)

    @property
    def separates_students(self) -> bool:
        """Whether one child can harm no other, nor the sandbox (see :data:`SEPARATING`)."""
        return bool(self.parts & SEPARATING)


@dataclass(frozen=True)
class PartRule:
    """When the warm parent has reached ``part``: every one of ``needs`` (keys of what it
    recorded of its set-up) is true. No needs: always (every child has its rlimits)."""

    part: Part
    meaning: str
    needs: tuple[str, ...] = ()

    def reached(self, details: Mapping[str, Any]) -> bool:
        return all(details.get(key) is True for key in self.needs)


# --------------------------------------------------------------------------- per-child set-up


@dataclass(frozen=True)
class Tmpfs:
    """A tmpfs private to each child, empty at its start."""

    point: str
    size_bytes: int
    noexec: bool


@dataclass(frozen=True)
class Rlimit:
    """A resource limit of each child (``resource.RLIMIT_<resource>``). ``above_parent``: the
    soft and hard values are added to what the warm parent already uses (its address space)."""

    resource: str
    soft: int
    hard: int
    above_parent: bool = False


@dataclass(frozen=True)
class UidBlocks:
    """The unprivileged uids children get when the grader runs as root: ``sandbox_blocks``
    blocks of ``uids_per_sandbox`` uids from ``first_uid`` on, one block per live sandbox of
    the machine (:mod:`autograder.sandbox._uids` locks them)."""

    first_uid: int = 1_000_000_000
    uids_per_sandbox: int = 1024
    sandbox_blocks: int = 3_000_000  # up to uid 2^32 - 2


#: Threads and plots, for the warm parent and every child alike: one thread per library,
#: figures rendered inline as PNG.
THREADS_AND_PLOTS: Mapping[str, str] = MappingProxyType({
    "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
})


@dataclass(frozen=True)
class Policy:
    """Everything the sandbox does to isolate student code, as data (see the module doc)."""

    limits: Limits
    #: How each part of a level is reached, in written order (:meth:`level`).
    level_rules: tuple[PartRule, ...]
    #: All a child may read (and execute) besides its private folders, devices and ``/proc``:
    #: its file view (:mod:`autograder.sandbox._view`, which fills in the placeholders).
    read_only: tuple[str, ...]
    #: Private to each child in its mount namespace (the first is its cwd, HOME and TMPDIR).
    child_tmpfs: tuple[Tmpfs, ...]
    #: Namespaces each child enters besides the mount namespace, first set that works here:
    #: its own network (abstract unix sockets are per network namespace) and System V IPC,
    #: so concurrent submissions cannot talk to each other.
    child_namespaces: tuple[tuple[str, ...], ...]
    rlimits: tuple[Rlimit, ...]
    #: A child's whole environment; ``{tmp}`` is its temp folder, ``{bin}`` the interpreter's folder.
    environment: Mapping[str, str]
    #: Character devices a child may read and write (its stdio is ``/dev/null``).
    devices: tuple[str, ...]
    #: System calls a child may not make (they fail with ENOSYS), by family. No student answer
    #: needs any of them: they inspect or change other processes, the kernel, mounts or
    #: namespaces — the very walls of the sandbox.
    seccomp_denied: Mapping[str, tuple[str, ...]]
    #: Also denied (with EPERM) to a child that runs under the grader's own uid with no mount
    #: namespace (path ``none`` as a user other than root): Landlock guards the content of the
    #: grader's files, not their metadata, and as their owner that child could change their
    #: modes, owners, times and extended attributes. No student answer needs these calls.
    seccomp_denied_shared_uid: tuple[str, ...]
    #: The controllers each child gets a cgroup of, where one can be made
    #: (:mod:`autograder.sandbox._cgroup`): memory, CPU share, processes, CPU time.
    child_cgroups: tuple[str, ...]
    #: Signals the warm parent ignores (a child that could reach it must not stop the run).
    ignored_signals: tuple[str, ...]
    #: Each child's ``oom_score_adj``: the kernel's out-of-memory killer takes a child first,
    #: never the warm parent or a grading process.
    oom_score_adj: int
    uids: UidBlocks = field(default_factory=UidBlocks)

    def level(self, details: Mapping[str, Any]) -> Level:
        """The level the warm parent reached, from what it recorded of its set-up."""
        return Level(frozenset(rule.part for rule in self.level_rules if rule.reached(details)))

    def to_plain(self) -> dict[str, Any]:
        """JSON-able, for the warm parent (:meth:`from_plain` reads it back)."""
        return asdict(self)

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> Policy:
        return cls(
            limits=Limits(**data["limits"]),
            level_rules=tuple(PartRule(Part(r["part"]), r["meaning"], tuple(r["needs"])) for r in data["level_rules"]),
            read_only=tuple(data["read_only"]),
            child_tmpfs=tuple(Tmpfs(**t) for t in data["child_tmpfs"]),
            child_namespaces=_tuples(data["child_namespaces"]),
            rlimits=tuple(Rlimit(**r) for r in data["rlimits"]),
            environment=dict(data["environment"]),
            devices=tuple(data["devices"]),
            seccomp_denied={k: tuple(v) for k, v in data["seccomp_denied"].items()},
            seccomp_denied_shared_uid=tuple(data["seccomp_denied_shared_uid"]),
            child_cgroups=tuple(data["child_cgroups"]),
            ignored_signals=tuple(data["ignored_signals"]),
            oom_score_adj=int(data["oom_score_adj"]),
            uids=UidBlocks(**data["uids"]),
        )


def _tuples(rows: Iterable[Iterable[str]]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(row) for row in rows)


def build(limits: Limits = Limits()) -> Policy:
    """The policy of a sandbox whose children get ``limits``."""
    return Policy(
        limits=limits,
        level_rules=(
            PartRule(Part.NETNS, "no network", ("network_namespace",)),
            PartRule(Part.MOUNTNS, "a mount namespace whose root holds the file allow-list alone",
                     ("mount_namespace", "file_view")),
            PartRule(Part.PIDNS, "no process of the sandbox visible from outside or outliving it", ("pid_namespace",)),
            PartRule(Part.PIDNS_PER_CHILD, "a PID namespace per child: it sees, signals and outlives none but "
                     "its own processes", ("child_pid_namespace",)),
            PartRule(Part.USERNS, "the namespaces made inside a user namespace", ("user_namespace",)),
            PartRule(Part.UID, "an unprivileged uid of its own per child", ("uid_drop",)),
            PartRule(Part.SECCOMP, "system calls that touch the sandbox's walls refused", ("seccomp",)),
            PartRule(Part.LANDLOCK, "a Landlock file allow-list: nothing else readable, only its own folders "
                     "writable", ("landlock",)),
            PartRule(Part.LANDLOCK_SCOPE, "Landlock scoping: no signal to, nor abstract socket of, any process "
                     "but its own", ("landlock_scope",)),
            PartRule(Part.MEMCG, "a memory cgroup per child", ("memory_cgroup",)),
            PartRule(Part.AUTOGROUP, "a fair CPU share per child: its processes form one scheduling group "
                     "(its session; it may not start another)", ("autogroup", "seccomp")),
            PartRule(Part.CPUCG, f"a CPU cgroup per child: at most {limits.cpu_share:g} CPU for all its processes",
                     ("cpu_cgroup",)),
            PartRule(Part.PIDSCG, "a processes cgroup per child", ("pids_cgroup",)),
            PartRule(Part.RLIMITS, "resource limits: memory, CPU time, processes, files"),
        ),
        read_only=("{executable}", "{libraries}", "{stdlib}", "{venv}", "{lrlab}",
                   "/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group"),
        child_tmpfs=(Tmpfs("/tmp", limits.disk_bytes, False), Tmpfs("/dev/shm", MiB, True),
                     Tmpfs("/var/tmp", MiB, True)),
        child_namespaces=(("net", "ipc"), ("ipc",)),
        rlimits=(
            Rlimit("AS", limits.memory_bytes, limits.memory_bytes, above_parent=True),
            Rlimit("CPU", limits.cpu_seconds, limits.cpu_seconds + 1),  # SIGXCPU first, then SIGKILL
            Rlimit("NPROC", limits.max_processes, limits.max_processes),
            Rlimit("FSIZE", limits.file_bytes, limits.file_bytes),
            Rlimit("NOFILE", limits.open_files, limits.open_files),
            Rlimit("CORE", 0, 0),
        ),
        environment={
            "PATH": "{bin}:/usr/local/bin:/usr/bin:/bin",
            "HOME": "{tmp}", "TMPDIR": "{tmp}", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
            **THREADS_AND_PLOTS,
            "MPLCONFIGDIR": "{tmp}/.matplotlib", "IPYTHONDIR": "{tmp}/.ipython",
            "PYTHONDONTWRITEBYTECODE": "1",
        },
        devices=("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"),
        seccomp_denied={
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
            # A new session would be a new scheduling group (autogroup): a child's processes
            # share one, however many it forks.
            "sessions": ("setsid",),
            "userfaultfd": ("userfaultfd",),
            "accounting": ("acct", "swapon", "swapoff", "quotactl", "settimeofday", "clock_settime", "adjtimex",
                           "clock_adjtime", "sethostname", "setdomainname", "syslog", "iopl", "ioperm",
                           "open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "vhangup"),
        },
        seccomp_denied_shared_uid=("chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown",
                                   "fchownat", "utime", "utimes", "futimesat", "utimensat", "setxattr",
                                   "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr"),
        child_cgroups=("memory", "cpu", "cpuacct", "pids"),
        ignored_signals=("SIGINT", "SIGTERM", "SIGHUP"),
        oom_score_adj=1000,
    )


#: The default policy (default :class:`Limits`).
POLICY = build()


def _amount(limit: Rlimit) -> str:
    """An rlimit's soft value as people read it."""
    if limit.resource in ("AS", "FSIZE") and limit.soft >= MiB:
        return f"{limit.soft // MiB} MiB"
    return f"{limit.soft}{' s' if limit.resource == 'CPU' else ''}"


def student_limits(limits: Limits = POLICY.limits) -> str:
    """The time, output and memory limits as every assignment's notebook states them to students
    (a markdown paragraph; ``tests/test_assignments.py`` finds it in each notebook)."""
    return (
        "**Time limits.** The grader runs your answer cells on their own, after the read-only setup, in\n"
        f"a fresh process. Each answer cell may take **{limits.cell_seconds:g} s** to run; each question a "
        "hidden test asks your\ncode (one call, or one batch of calls such as a schedule's rate at every "
        f"step) **{limits.call_seconds:g} s**; all\nthe questions of one test together **{limits.check_seconds:g} s**. "
        "An honest answer needs well under a second for\neach. A cell that runs longer is stopped and counts "
        "as a cell that raised an error: the tests that\nuse what it defines lose their points. A question "
        "that runs longer scores its test 0. Neither costs\nanything else. So keep searches and training runs "
        "out of your answer cells: run them in a cell of\nyour own (the grader does not run it) and put only "
        f"their result in the answer. Printing more than\n{limits.output_bytes // MiB} MB or using more than "
        f"{limits.memory_bytes // (1 << 30)} GB of memory stops your code too: in a test it costs that test;\n"
        "while your answer cells load, it stops the grading of the whole notebook."
    )


def describe(policy: Policy = POLICY) -> str:
    """The policy in a few plain lines, for ``python -m autograder grade --help``."""
    lim = policy.limits
    parts = "\n".join(f"  {rule.part:<9} {rule.meaning}" for rule in policy.level_rules)
    tmpfs = ", ".join(f"{t.point} {t.size_bytes // MiB} MiB" for t in policy.child_tmpfs)
    rlimits = ", ".join(f"{r.resource} {_amount(r)}" + (" above the warm parent" if r.above_parent else "")
                        for r in policy.rlimits)
    paths = "\n".join(f"  {name:<12} {who}" for name, who in NAMESPACE_PATHS)
    return (f"isolation parts (a level is written part+part+...):\n{parts}\n"
            f"namespace paths, the first that works here:\n{paths}\n"
            f"each child reads only {' '.join(policy.read_only)}, its /proc, devices {' '.join(policy.devices)} "
            f"and its private tmpfs {tmpfs}; rlimits {rlimits}; cgroups {', '.join(policy.child_cgroups)} "
            f"where they can be made (at most {lim.cpu_share:g} CPU); {lim.cell_seconds:g} s per answer cell "
            f"to load, {lim.call_seconds:g} s per call, {lim.check_seconds:g} s per check, in CPU time (the "
            f"wall clock stops it at {lim.wall_factor:g}x); "
            f"{sum(map(len, policy.seccomp_denied.values()))} system calls refused; environment "
            f"{', '.join(policy.environment)} only. A level keeps students apart with any of "
            f"{', '.join(sorted(SEPARATING))}; grade refuses a level without (and one that hides no file) "
            f"unless --allow-weak-isolation.")
