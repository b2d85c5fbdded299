"""Grade part of ps1's golden class in whatever environment this process runs in (a test helper).

``python tests/isolation_grade.py OUT.json [--block-userns] [--only demo|attacks|all] [--require-isolation LEVEL]``

Used by ``tests/test_isolation_paths.py``, which starts it as an unprivileged user, as root
without CAP_SYS_ADMIN, or with user namespaces blocked. It builds a course copy in a fresh
temporary folder, writes the golden check's submissions of ps1_schedulers (the demo class
without its timing-dependent ``demo_slow``, or the red-team attacks), runs
``python -m autograder grade`` in-process (scores only) and writes to OUT.json the exit
code, the isolation level(s) and, per submission, status, reason and per-check scores.

``--block-userns`` first loads a seccomp filter into this process refusing ``unshare`` and
namespace-creating ``clone`` (``clone3`` entirely), as Docker's default profile does for
a process without CAP_SYS_ADMIN: every process the grader starts inherits it.
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--block-userns", action="store_true")
    parser.add_argument("--only", choices=("demo", "attacks", "all"), default="demo")
    parser.add_argument("--require-isolation", default="")
    args = parser.parse_args()
    if args.block_userns:
        block_user_namespaces()
    import lrlab  # noqa: F401  (pins PyTorch's CPU numerics before anything computes)

    from autograder import cli, demo, store
    from tools import golden

    with tempfile.TemporaryDirectory(prefix="lrlab-isolation-") as tmp:
        course = golden.course_copy(Path(tmp) / "course")
        root = course.root
        plan = golden._submissions(root, ASSIGNMENT)
        prefixes = {"demo": ("demo_",), "attacks": ("attack-",), "all": ("demo_", "attack-")}[args.only]
        chosen = {s: c for s, c in plan.items() if s.startswith(prefixes) and s != "demo_slow"}
        for student, content in chosen.items():
            demo.write_submission(course, ASSIGNMENT, student, content)
        argv = ["--course", str(root), "grade", ASSIGNMENT, "--workers", "2", "--no-progress"]
        if args.require_isolation:
            argv += ["--require-isolation", args.require_isolation]
        code = cli.main(argv)
        outcomes = store.read_all(root, ASSIGNMENT)
        result = {
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
