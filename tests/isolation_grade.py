"""Grade part of ps1's golden class in whatever environment this process runs in (a test helper).

``python tests/isolation_grade.py OUT.json [--block-userns] [--block-landlock] [--only demo|attacks|all|weak]
[--with-walls] [--require-isolation LEVEL] [--allow-weak-isolation]``

Used by ``tests/test_isolation_paths.py``, which starts it as an unprivileged user, as root
without CAP_SYS_ADMIN, or with user namespaces blocked. It builds a course copy in a fresh
temporary folder, writes the golden check's submissions of ps1_schedulers (the demo class
without its timing-dependent ``demo_slow``, or the red-team attacks), runs
``python -m autograder grade`` in-process (scores only) and writes to OUT.json the exit
code, the isolation level(s) and, per submission, status, reason and per-check scores.

``--block-userns`` first loads a seccomp filter into this process refusing ``unshare`` and
namespace-creating ``clone`` (``clone3`` entirely), as Docker's default profile does for
a process without CAP_SYS_ADMIN: every process the grader starts inherits it.
``--block-landlock`` likewise makes the Landlock calls fail with ENOSYS (a kernel without
Landlock, or a container profile that does not allow it).

``--with-walls`` adds the attacks on the sandbox's own walls (``WALL_ATTACKS`` of
``tests/test_redteam.py``: a scrubbed tripwire record, a leftover that kills every process
it sees, signals to the sandbox, busy loops), as ``wall-<attack>``, graded alongside the rest
by the same two workers.

``--only weak`` grades three ps2_diagnosing_curves submissions instead: ``weak-bank_lookup``
(``diagnose`` looks the held-out runs up in the repository's curve bank),
``weak-overwrite_course`` (tries to change every course file) and ``weak-always_good`` (the
same ``diagnose`` without the lookup: what both deserve). The course folder is open to other
users (0755), as a course root often is, so that only the sandbox stands between a child and
it. OUT.json then also lists the course files that changed and those carrying the attack's
marker.
"""
from __future__ import annotations

import argparse
import errno
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]
ASSIGNMENT = "ps1_schedulers"
WEAK_ASSIGNMENT = "ps2_diagnosing_curves"
WEAK = ("bank_lookup", "overwrite_course", "always_good")
MARKER = b"LRLAB-" + b"PWNED"
#: What the grader itself writes in the course (everything else must stay as it was).
GRADER_WRITES = ("outcomes", "autograded", "feedback", "gradebook.db")


def block_user_namespaces() -> None:
    import pyseccomp as sc

    from autograder.sandbox._seccomp import NAMESPACE_FLAGS

    refuse = sc.ERRNO(errno.EPERM)
    seccomp = sc.SyscallFilter(sc.ALLOW)
    seccomp.add_rule(refuse, "unshare")
    seccomp.add_rule(refuse, "setns")
    for flag in NAMESPACE_FLAGS:
        seccomp.add_rule(refuse, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    seccomp.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    seccomp.load()


def block_landlock() -> None:
    import pyseccomp as sc

    seccomp = sc.SyscallFilter(sc.ALLOW)
    for name in ("landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"):
        seccomp.add_rule(sc.ERRNO(errno.ENOSYS), name)
    seccomp.load()


def weak_class(root: Path) -> dict[str, bytes]:
    """The ``--only weak`` submissions (see the module doc)."""
    import nbformat

    from autograder import submissions
    from tests import test_redteam as redteam

    release = submissions.release_notebook(WEAK_ASSIGNMENT, root)
    subst = {"{COURSE}": str(root), "{REPO}": str(ROOT)}
    return {f"weak-{name}": nbformat.writes(submissions.fill(
        release, redteam.redteam_answers(WEAK_ASSIGNMENT, name if name != "always_good" else "wrong_always_good",
                                         subst))).encode() for name in WEAK}


def wall_class(root: Path) -> dict[str, bytes]:
    """The ``--with-walls`` submissions (see the module doc)."""
    import nbformat

    from autograder import submissions
    from tests import test_redteam as redteam

    release = submissions.release_notebook(ASSIGNMENT, root)
    checks = redteam.load_checks(ASSIGNMENT)
    return {f"wall-{name}": nbformat.writes(submissions.fill(release, redteam.redteam_answers(
        ASSIGNMENT, name, base=base, cell=checks[target].answer_cells[0]))).encode()
        for name, base, _zero, _execute, target in redteam.WALL_ATTACKS[ASSIGNMENT]}


def course_state(root: Path) -> dict[str, list]:
    """sha256 and mode of every course file the grader does not write; which files hold the marker."""
    import hashlib

    state: dict[str, list] = {}
    marked = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not path.is_symlink() and MARKER in path.read_bytes():
            marked.append(str(rel))
        if rel.parts[0] in GRADER_WRITES:
            continue
        data = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        state[str(rel)] = [data, path.lstat().st_mode]
    return {"files": state, "marked": marked}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--block-userns", action="store_true")
    parser.add_argument("--block-landlock", action="store_true")
    parser.add_argument("--only", choices=("demo", "attacks", "all", "weak"), default="demo")
    parser.add_argument("--with-walls", action="store_true")
    parser.add_argument("--require-isolation", default="")
    parser.add_argument("--allow-weak-isolation", action="store_true")
    args = parser.parse_args()
    if args.block_userns:
        block_user_namespaces()
    if args.block_landlock:
        block_landlock()
    import lrlab  # noqa: F401  (pins PyTorch's CPU numerics before anything computes)

    from autograder import cli, demo, store
    from tools import golden

    with tempfile.TemporaryDirectory(prefix="lrlab-isolation-") as tmp:
        course = golden.course_copy(Path(tmp) / "course")
        root = course.root
        assignment = WEAK_ASSIGNMENT if args.only == "weak" else ASSIGNMENT
        if args.only == "weak":
            Path(tmp).chmod(0o755)
            chosen = weak_class(root)
        else:
            plan = golden._submissions(root, ASSIGNMENT)
            prefixes = {"demo": ("demo_",), "attacks": ("attack-",), "all": ("demo_", "attack-")}[args.only]
            chosen = {s: c for s, c in plan.items() if s.startswith(prefixes) and s != "demo_slow"}
            if args.with_walls:
                chosen.update(wall_class(root))
        for student, content in chosen.items():
            demo.write_submission(course, assignment, student, content)
        argv = ["--course", str(root), "grade", assignment, "--workers", "2", "--no-progress"]
        if args.require_isolation:
            argv += ["--require-isolation", args.require_isolation]
        if args.allow_weak_isolation:
            argv.append("--allow-weak-isolation")
        before = course_state(root)
        code = cli.main(argv)
        after = course_state(root)
        outcomes = store.read_all(root, assignment)
        result = {
            "changed": sorted(k for k in {*before["files"], *after["files"]}
                              if before["files"].get(k) != after["files"].get(k)),
            "marked": after["marked"],
            "exit_code": code,
            "isolation": sorted({o.isolation for o in outcomes.values() if o.isolation}),
            "outcomes": {s: {"status": o.status, "reason": str(o.reason) if o.reason else None,
                             "scores": {c.grade_id: c.score for c in o.checks}, "flags": o.flags}
                         for s, o in sorted(outcomes.items())},
            "submitted": sorted(chosen),
        }
    Path(args.out).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
