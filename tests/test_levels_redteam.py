"""Attacks on the sandbox's own walls (issue 26), at every privilege level it supports: as root,
as root without CAP_SYS_ADMIN and as an unprivileged user (:mod:`tests.levels`; run as another
user, that user's level alone). One small probe per level (:mod:`tests.level_probe`: one
sandbox, a few children) — the same attacks graded as submissions, among other students,
are in ``tests/test_redteam.py`` (``WALL_ATTACKS``, as root) and
``tests/test_isolation_paths.py`` (``--with-walls``, at the other levels).

* the file view is an allow-list: a child walking its whole file system reads nothing
  outside the interpreter, its libraries, the venv, ``lrlab``, a few files of /etc, /proc and
  /dev — not a decoy course copy nor a decoy home planted elsewhere, world-readable, nor
  any other checkout of this repository;
* one student can never harm another: a leftover killing every process it sees, signals to
  the sandbox server, 62 busy loops — every other child still answers (within its limits,
  judged in its own CPU time), a new one is still set up, the sandbox still serves, and
  nothing of the attacker outlives it; no process can be traced;
* the tripwire's hits reach the trusted side as they happen: scrubbing the child's own
  record afterwards changes nothing, for lrlab's functions too.
"""
from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.levels import LEVELS, run_helper

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
CANARY = f"LRLAB-DECOY-{secrets.token_hex(8)}"


@pytest.fixture(scope="module")
def decoys() -> Iterator[list[str]]:
    """A course copy (a solution notebook, a check module) and a home, world-readable, where
    instructors keep them: under /opt and /var/lib (as root) and /tmp."""
    tops = [Path(p) / f"lrlab-decoy-{secrets.token_hex(4)}" for p in
            (("/opt", "/var/lib", "/tmp") if os.geteuid() == 0 else ("/tmp",))]
    files = []
    for top in tops:
        for rel in ("course/source/ps1_schedulers/ps1_schedulers.ipynb",
                    "course/autograder/assignments/ps1_schedulers/checks.py", "home/alice/.bash_history"):
            path = top / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{CANARY}\n")
            files.append(str(path))
        for path in (top, *top.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
    try:
        yield files
    finally:
        for top in tops:
            shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(scope="module", params=LEVELS, ids=[name for name, _, _ in LEVELS])
def probe(request, decoys) -> dict:
    """What the probes saw at one level (run once per level)."""
    _, prefix, uid = request.param
    result, stderr = run_helper("level_probe.py", prefix, *(a for d in decoys for a in ("--decoy", d)), uid=uid)
    return result


def _ok(result: dict, name: str):
    assert "ok" in result[name], result[name]
    return result[name]["ok"]


def test_the_file_view_is_an_allow_list(probe: dict) -> None:
    walk = _ok(probe, "walk")
    assert walk["readable"] > 1000, walk  # the walk saw the interpreter, the venv, lrlab ...
    assert (walk["n_outside"], walk["n_listed"]) == (0, 0), walk  # ... and nothing else
    assert walk["own_tmp"] == [], walk
    assert walk["decoys"] and walk["decoys_readable"] == [], walk
    assert walk["candidates"] > 100 and walk["candidates_readable"] == [], walk


def test_a_leftover_killing_every_process_harms_no_one(probe: dict) -> None:
    killer = _ok(probe, "killer")
    assert killer["old_victim"] == {"ok": 42} and killer["new_victim"] == {"ok": 42}, killer
    assert killer["alive"] is True and killer["left"] == [], killer


def test_signals_to_the_sandbox_change_nothing(probe: dict) -> None:
    signals = _ok(probe, "signals")
    assert signals == {"old_victim": {"ok": 42}, "new_victim": {"ok": 42}, "alive": True}, signals


def test_busy_loops_cost_no_one_else_a_timeout(probe: dict) -> None:
    busy = _ok(probe, "busy")
    assert "ok" in busy["alone"] and all("ok" in call for call in busy["busy"]), busy
    assert busy["left"] == [], busy


def test_no_other_process_can_be_traced(probe: dict) -> None:
    traced = _ok(probe, "ptrace")
    assert traced["got"] == [], traced


def test_a_scrubbed_tripwire_record_was_reported_already(probe: dict) -> None:
    wire = _ok(probe, "tripwire")
    assert wire["load_errors"] == {} and wire["used"] == {"ok": 1}, wire
    assert wire["in_process"] == []  # the child's own record: scrubbed
    assert isinstance(wire["reported"], list) and ["range_test_answer", "range_test"] in wire["reported"], wire
