"""Grading where it really runs: as an unprivileged user, as root without CAP_SYS_ADMIN (a
default Docker or Kubernetes container) and with user namespaces blocked (Docker's default
seccomp profile). Each test grades part of ps1's golden class in a subprocess started that
way (:mod:`tests.isolation_grade`) and checks the scores against ``tests/golden/`` (captured
as root: the same scores) and the isolation level against what that environment allows
(:data:`autograder.sandbox.policy.NAMESPACE_PATHS`).

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

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = json.loads((ROOT / "tests" / "golden" / "grading.json").read_text())["ps1_schedulers"]["outcomes"]
NOBODY = 65534
CAPLESS = ["setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin"]
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")


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


def _assert_level(result: dict, level: str) -> None:
    """One level for every outcome: ``level``, plus ``memcg`` where a memory cgroup could be
    made (:mod:`autograder.sandbox._cgroup`; the sandbox tests check it where it is)."""
    assert len(result["isolation"]) == 1, result["isolation"]
    assert result["isolation"][0].replace("+memcg", "") == level


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
