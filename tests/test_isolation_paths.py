"""Grading where it really runs: as an unprivileged user, as root without CAP_SYS_ADMIN (a
default Docker or Kubernetes container) and with user namespaces blocked (Docker's default
seccomp profile). Each test grades part of ps1's golden class in a subprocess started that
way (:mod:`tests.isolation_grade`) and checks the scores against ``tests/golden/`` (captured
as root: the same scores) and the isolation level against what that environment allows
(:data:`autograder.sandbox.policy.NAMESPACE_PATHS`; ``landlock`` wherever this kernel has it).

Where no namespace can be made, the ``weak`` class (ps2: a ``diagnose`` that looks the
held-out runs up in the repository's curve bank, one that tries to change every course file,
and the honest answer both deserve the score of) shows that Landlock keeps the instructor's
files out of reach, and that without Landlock grading refuses to start unless the instructor
passes ``--allow-weak-isolation``.

The environments need root to be made (a user switch, a capability dropped); run as another
user, the unprivileged test grades as that user and the others are skipped.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder.reasons import UNUSABLE
from autograder.sandbox._landlock import abi_version
from autograder.sandbox.exposure import reachable_by_others

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = json.loads((ROOT / "tests" / "golden" / "grading.json").read_text())["ps1_schedulers"]["outcomes"]
NOBODY = 65534
CAPLESS = ["setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin"]
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
LANDLOCK = abi_version()[0] > 0
NEEDS_LANDLOCK = pytest.mark.skipif(not LANDLOCK, reason=f"no Landlock here: {abi_version()[1]}")
BANK = ROOT / "autograder" / "assignments" / "ps2_diagnosing_curves" / "bank.json"


def _scores(record: dict) -> dict:
    return {"status": record["status"], "reason": record["reason"],
            "scores": {c["grade_id"]: c["score"] for c in record.get("checks", [])} if "checks" in record
            else record["scores"]}


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON", "MPL", "XDG"))}
    env.update(HOME=str(home), TMPDIR=str(home), MPLCONFIGDIR=str(home / "mpl"), IPYTHONDIR=str(home / "ipython"),
               JUPYTER_CONFIG_DIR=str(home / "jupyter"), JUPYTER_DATA_DIR=str(home / "jupyter-data"),
               JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"), JUPYTER_PLATFORM_DIRS="1",
               PYTHONDONTWRITEBYTECODE="1")
    return env


def _grade(prefix: list[str], *args: str, uid: int | None = None) -> tuple[dict, str]:
    """Run the helper behind ``prefix`` (as ``uid``: its own home, the checkout reachable)."""
    home = Path(tempfile.mkdtemp(prefix="lrlab-iso-home-"))
    try:
        out = home / "result.json"
        command = [sys.executable, str(ROOT / "tests" / "isolation_grade.py"), str(out), *args]
        if uid is not None:
            os.chown(home, uid, uid)
            command = _as_user(uid, command)
        proc = subprocess.run(prefix + command, env=_env(home), capture_output=True, text=True, timeout=1500)
        assert proc.returncode == 0 and out.is_file(), proc.stderr[-4000:]
        return json.loads(out.read_text()), proc.stderr
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _blocked_ancestor(path: Path, uid: int) -> Path | None:
    """The outermost folder above ``path`` that ``uid`` may not traverse (say /root)."""
    for parent in reversed(path.parents):
        info = parent.stat()
        if not info.st_mode & stat.S_IXOTH and info.st_uid != uid:
            return parent
    return None


def _as_user(uid: int, command: list[str]) -> list[str]:
    """``command`` as ``uid`` in a private mount namespace where the interpreter and the
    checkout are reachable: a folder it may not traverse (the interpreter under /root, say)
    is covered by an empty tmpfs with only those paths bound back — nothing is copied."""
    needed = {p: _blocked_ancestor(p, uid) for p in {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), ROOT}}
    needed = {p: b for p, b in needed.items() if b is not None}
    stage = f"/tmp/lrlab-iso-stage-{os.getpid()}"
    lines = ["set -e"]
    for i, path in enumerate(needed):  # reach them all before anything is covered
        lines += [f"mkdir -p {stage}-{i}", f"mount --bind '{path}' {stage}-{i}"]
    for blocked in sorted(set(needed.values())):
        lines.append(f"mount -t tmpfs -o mode=755 tmpfs '{blocked}'")
    for i, path in enumerate(needed):
        lines += [f"mkdir -p '{path}'", f"mount --move {stage}-{i} '{path}'", f"rmdir {stage}-{i}"]
    lines.append(f'exec setpriv --reuid={uid} --regid={uid} --clear-groups "$@"')
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", "\n".join(lines), "sh", *command]


def _userns_allowed(uid: int) -> bool:
    probe = ["unshare", "--user", "--map-root-user", "--net", "true"]
    if os.geteuid() == 0:
        probe = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *probe]
    return subprocess.run(probe, capture_output=True).returncode == 0


def _assert_level(result: dict, level: str, landlock: bool = LANDLOCK) -> None:
    """One level for every outcome: ``level``, plus ``landlock`` where this kernel has it
    (unless blocked) and ``memcg`` where a memory cgroup could be made
    (:mod:`autograder.sandbox._cgroup`; the sandbox tests check it where it is)."""
    assert len(result["isolation"]) == 1, result["isolation"]
    expected = level.replace("+rlimits", "+landlock+rlimits") if landlock else level
    assert result["isolation"][0].replace("+memcg", "") == expected


def _assert_golden_scores(result: dict) -> None:
    assert set(result["outcomes"]) == set(result["submitted"])
    for student, record in result["outcomes"].items():
        assert _scores(record) == _scores(GOLDEN[student]), student
        assert not any(f.startswith("grader error") for f in record["flags"]), (student, record["flags"])


def test_unprivileged_user_grades_like_root() -> None:
    """The demo class and every red-team attack as an unprivileged user: the same scores as
    root's golden record (the red team gains nothing), in a user namespace where allowed."""
    uid = NOBODY if os.geteuid() == 0 else None
    result, _ = _grade([], "--only", "all", uid=uid)
    assert any(s.startswith("attack-") for s in result["submitted"]) and "demo_correct" in result["submitted"]
    _assert_golden_scores(result)
    _assert_level(result, "netns+mountns+pidns+userns+seccomp+rlimits" if _userns_allowed(uid or os.getuid())
                  else "seccomp+rlimits")


@ROOT_ONLY
def test_root_without_cap_sys_admin_grades_like_root() -> None:
    """A default container's root: user namespaces carry the isolation, every uid mapped."""
    assert subprocess.run([*CAPLESS, "unshare", "--net", "true"], capture_output=True).returncode != 0
    result, _ = _grade(CAPLESS, "--only", "demo")
    _assert_golden_scores(result)
    _assert_level(result, "netns+mountns+pidns+userns+uid+seccomp+rlimits")


@ROOT_ONLY
def test_no_user_namespaces_degrades_and_require_isolation_refuses() -> None:
    """User namespaces blocked as Docker's default profile does: the grader degrades to what is
    left (a uid per child, seccomp, rlimits), says so, scores as root does; and
    ``--require-isolation`` refuses to run any student code below it, with one line."""
    result, _ = _grade(CAPLESS, "--only", "demo", "--block-userns")
    _assert_golden_scores(result)
    _assert_level(result, "uid+seccomp+rlimits")
    refused, stderr = _grade(CAPLESS, "--only", "demo", "--block-userns", "--require-isolation", "netns+mountns")
    assert refused["exit_code"] == 3
    stop = [line for line in stderr.splitlines() if line.startswith("grade stopped")]
    assert len(stop) == 1 and "below the required netns+mountns (missing netns+mountns)" in stop[0], stderr[-2000:]
    reasons = [r["reason"] for r in refused["outcomes"].values()]
    assert reasons.count("grader_error") == 1  # the first: the run stopped there
    # Nothing was graded; what was recorded besides failed before any code would run.
    assert set(reasons) <= {"grader_error", *UNUSABLE}, reasons


def _assert_weak_class_gains_nothing(result: dict) -> None:
    """The bank lookup and the course writer score what the honest ``diagnose`` does, and no
    course file changed or carries the writer's marker."""
    honest = _scores(result["outcomes"]["weak-always_good"])
    assert honest["status"] == "graded" and honest["scores"]["test_diagnose_heldout"] < 30, honest
    for attack in ("weak-bank_lookup", "weak-overwrite_course"):
        assert _scores(result["outcomes"][attack]) == honest, attack
    assert result["changed"] == [] and result["marked"] == [], (result["changed"], result["marked"])


def _assert_refused(result: dict, stderr: str, why: str) -> None:
    """Stopped before any student code ran: exit status 3, one line naming the way out."""
    assert result["exit_code"] == 3
    stop = [line for line in stderr.splitlines() if line.startswith("grade stopped")]
    assert len(stop) == 1 and "hides no file (no mount namespace, no Landlock)" in stop[0], stderr[-2000:]
    assert why in stop[0] and "--allow-weak-isolation" in stop[0] and "no score was written" in stop[0]
    reasons = [r["reason"] for r in result["outcomes"].values()]
    assert reasons.count("grader_error") == 1 and set(reasons) <= {"grader_error", *UNUSABLE}, reasons
    assert not any(r["scores"] for r in result["outcomes"].values())


@ROOT_ONLY
@NEEDS_LANDLOCK
def test_no_namespaces_landlock_keeps_the_course_out_of_reach() -> None:
    """User namespaces blocked, the course root open to every user: each child's Landlock
    allow-list alone stops the bank lookup and every write."""
    result, _ = _grade(CAPLESS, "--only", "weak", "--block-userns")
    _assert_level(result, "uid+seccomp+rlimits")
    _assert_weak_class_gains_nothing(result)


@ROOT_ONLY
def test_no_namespaces_nor_landlock_refuses_unless_allowed() -> None:
    """Nothing hides the repository: grading does not start (one line, exit status 3, no
    score). With ``--allow-weak-isolation`` it does — and where the bank is readable by every
    user, the lookup really gains (the risk accepted is real); writes still fail on
    permissions (root's files, the child's own uid)."""
    refused, stderr = _grade(CAPLESS, "--only", "weak", "--block-userns", "--block-landlock")
    _assert_refused(refused, stderr, "each child has a uid of its own, but others may open")
    allowed, _ = _grade(CAPLESS, "--only", "weak", "--block-userns", "--block-landlock", "--allow-weak-isolation")
    _assert_level(allowed, "uid+seccomp+rlimits", landlock=False)
    honest = _scores(allowed["outcomes"]["weak-always_good"])
    looked_up = _scores(allowed["outcomes"]["weak-bank_lookup"])
    if reachable_by_others(BANK):
        assert looked_up["scores"]["test_diagnose_heldout"] > honest["scores"]["test_diagnose_heldout"]
    assert _scores(allowed["outcomes"]["weak-overwrite_course"]) == honest
    assert allowed["changed"] == [] and allowed["marked"] == []


@ROOT_ONLY
def test_unprivileged_user_without_namespaces() -> None:
    """An ordinary user with user namespaces blocked: the children run under the grader's own
    uid. With Landlock they still reach none of its files (nor change their modes: seccomp);
    without it grading refuses to start."""
    if LANDLOCK:
        result, _ = _grade([], "--only", "weak", "--block-userns", uid=NOBODY)
        _assert_level(result, "seccomp+rlimits")
        _assert_weak_class_gains_nothing(result)
    refused, stderr = _grade([], "--only", "weak", "--block-userns", "--block-landlock", uid=NOBODY)
    _assert_refused(refused, stderr, "each child runs as the grader's own user and may read and write")
