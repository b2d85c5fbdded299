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
import subprocess
from pathlib import Path

import pytest

from autograder.reasons import UNUSABLE
from autograder.sandbox._landlock import SCOPE_ABI, abi_version
from autograder.sandbox.exposure import reachable_by_others
from tests.levels import CAPLESS, NOBODY, ROOT_ONLY, run_helper, userns_allowed
from tests.test_redteam import WALL_ATTACKS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "ps1_schedulers"
GOLDEN = json.loads((ROOT / "tests" / "golden" / "grading.json").read_text())[ASSIGNMENT]["outcomes"]
LANDLOCK = abi_version()[0] > 0
LANDLOCK_SCOPE = abi_version()[0] >= SCOPE_ABI
#: Parts this machine may or may not give (cgroups where they can be made, autogroup).
MACHINE_PARTS = {"memcg", "cpucg", "pidscg", "autogroup"}
NEEDS_LANDLOCK = pytest.mark.skipif(not LANDLOCK, reason=f"no Landlock here: {abi_version()[1]}")
BANK = ROOT / "autograder" / "assignments" / "ps2_diagnosing_curves" / "bank.json"


def _scores(record: dict) -> dict:
    return {"status": record["status"], "reason": record["reason"],
            "scores": {c["grade_id"]: c["score"] for c in record.get("checks", [])} if "checks" in record
            else record["scores"]}


def _grade(prefix: list[str], *args: str, uid: int | None = None) -> tuple[dict, str]:
    """Grade with tests/isolation_grade.py behind ``prefix`` (as ``uid``)."""
    return run_helper("isolation_grade.py", prefix, *args, uid=uid)


def _assert_level(result: dict, level: str, landlock: bool = LANDLOCK) -> None:
    """One level for every outcome: ``level``, plus ``landlock`` (and its scoping) where this
    kernel has it (unless blocked); the cgroups and the scheduler's groups where this machine
    gives them (:mod:`autograder.sandbox._cgroup`; the sandbox tests check them where they are)."""
    assert len(result["isolation"]) == 1, result["isolation"]
    expected = set(level.split("+"))
    if landlock:
        expected |= {"landlock", *(["landlock-scope"] if LANDLOCK_SCOPE else [])}
    assert set(result["isolation"][0].split("+")) - MACHINE_PARTS == expected, result["isolation"]


def _assert_golden_scores(result: dict) -> None:
    """Every submission scores as in root's golden record; an attack on the sandbox's walls
    (``wall-``) as its honest answers do, but for the checks it must lose."""
    assert set(result["outcomes"]) == set(result["submitted"])
    walls = {f"wall-{name}": zero for name, _base, zero, _execute, _target in WALL_ATTACKS[ASSIGNMENT]}
    for student, record in result["outcomes"].items():
        assert not any(f.startswith("grader error") for f in record["flags"]), (student, record["flags"])
        if student not in walls:
            assert _scores(record) == _scores(GOLDEN[student]), student
            continue
        honest = _scores(GOLDEN["sample-correct"])
        honest["scores"].update({check: 0.0 for check in walls[student]})
        assert _scores(record) == honest, (student, record)


def test_unprivileged_user_grades_like_root() -> None:
    """The demo class, every red-team attack and the attacks on the sandbox's walls as an
    unprivileged user: the same scores as root's golden record (the red team gains nothing,
    no other student loses anything), in a user namespace where allowed."""
    uid = NOBODY if os.geteuid() == 0 else None
    result, _ = _grade([], "--only", "all", "--with-walls", uid=uid)
    submitted = result["submitted"]
    assert "demo_correct" in submitted and all(any(s.startswith(kind) for s in submitted) for kind in ("attack-", "wall-"))
    _assert_golden_scores(result)
    _assert_level(result, "netns+mountns+pidns+pidns-per-child+userns+seccomp+rlimits"
                  if userns_allowed(uid or os.getuid()) else "seccomp+rlimits")


@ROOT_ONLY
def test_root_without_cap_sys_admin_grades_like_root() -> None:
    """A default container's root: user namespaces carry the isolation, every uid mapped; the
    attacks on the sandbox's walls cost no other student anything."""
    assert subprocess.run([*CAPLESS, "unshare", "--net", "true"], capture_output=True).returncode != 0
    result, _ = _grade(CAPLESS, "--only", "demo", "--with-walls")
    _assert_golden_scores(result)
    _assert_level(result, "netns+mountns+pidns+pidns-per-child+userns+uid+seccomp+rlimits")


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
