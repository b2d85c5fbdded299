"""Attacks on the sandbox's own walls at the privilege level this process runs at (a test helper).

``python tests/level_probe.py OUT.json [--decoy FILE ...]``

Used by ``tests/test_levels_redteam.py``, which starts it as root, as root without
CAP_SYS_ADMIN and as an unprivileged user (:mod:`tests.levels`). One torch-free sandbox on a
temporary course serves every probe (a few children, not a class); OUT.json says per probe
what happened:

* ``walk``: a child walks its whole file system (every folder it may list, every regular file
  it may open) and opens, besides, every ``--decoy`` (a course copy and a home planted
  elsewhere, world-readable) and a sample of the files this process finds in the machine's
  folders (``candidates``: the other checkouts, /opt, /var/lib, /etc …); reported: what it
  could read outside :func:`expected_roots` (the interpreter, its libraries, the venv,
  ``lrlab``, a few files of /etc, /proc, /dev), and what it could read under /tmp;
* ``killer``: a child leaves a double-forked process in a session of its own that SIGKILLs
  every process it can see, for 8 s; meanwhile a child loaded before answers, a child is set
  up and answers, and the sandbox serves; afterwards no such process is left;
* ``signals``: a child sends SIGINT, SIGTERM and SIGHUP to pid 1, its parent and every process
  it may (kill -1); the same questions;
* ``busy``: a child starts 62 busy loops, each trying a session of its own; another child's
  call of 0.5 s of CPU time (limit 2 s) still answers, three times; none is left afterwards;
* ``ptrace``: a child tries to attach to, and read the memory of, every process it can see;
* ``tripwire``: a child runs lrlab's ``range_test`` by a name built at run time, then
  scrubs the tripwire's in-process record; what the trusted side read of it.

Written against the sandbox's public API only, so that it also runs on an older checkout
(``PYTHONPATH``): a probe whose API is missing there reports that.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]
#: What the attacks name their processes (PR_SET_NAME), to be found from outside.
NAMES = ("lrlab-killer", "lrlab-busy")
#: How many files per folder of the machine the walk opens besides its own walk.
SAMPLE = 4000

VICTIM = '''
import time
def f():
    return 42
def work(seconds):
    t0 = time.process_time()
    while time.process_time() - t0 < seconds:
        pass
    return 1
'''
WALK = '''
import os, stat
def _readable(path):
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False  # a device is never opened; a link is judged at its target's own path
        os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY))
        return True
    except OSError:
        return False
def _inside(path, roots):
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)
OWN = ["/tmp", "/var/tmp", "/dev/shm"]  # the child's own temp folders
def walk(roots):
    readable, outside, listed, own_tmp = 0, [], [], []
    for top, dirs, files in os.walk("/"):
        if top in ("/proc", "/sys", "/dev"):
            dirs[:] = []
            continue
        leads_to = any(r.startswith(top.rstrip("/") + "/") for r in roots + OWN)  # a folder on the way to one
        if not leads_to and not _inside(top, roots) and not _inside(top, OWN):
            listed.append(top)
        for name in files:
            path = os.path.join(top, name)
            if _readable(path):
                readable += 1
                if _inside(path, OWN) and not _inside(path, roots):
                    own_tmp.append(path)
                elif not _inside(path, roots):
                    outside.append(path)
    try:
        top = sorted(os.listdir("/"))
    except OSError as exc:  # a view without a root of its own: Landlock may refuse to list it
        top = type(exc).__name__
    return {"readable": readable, "outside": outside[:100], "n_outside": len(outside), "listed": listed[:100],
            "n_listed": len(listed), "own_tmp": own_tmp[:100], "top": top}
def try_open(paths):
    return [p for p in paths if _readable(p)]
'''
KILLER = '''
import ctypes, os, time
def _leftover():
    if os.fork():
        return
    try:
        os.setsid()
    except OSError:
        pass
    if os.fork():
        os._exit(0)
    ctypes.CDLL(None).prctl(15, b"lrlab-killer", 0, 0, 0)
    me, end = os.getpid(), time.monotonic() + 8
    while time.monotonic() < end:
        for name in os.listdir("/proc"):
            if name.isdigit() and int(name) != me:
                try:
                    os.kill(int(name), 9)
                except OSError:
                    pass
        time.sleep(0.005)
    os._exit(0)
_leftover()
'''
SIGNALS = '''
import os, signal
for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    for target in (1, os.getppid(), -1):
        if target:
            try:
                os.kill(target, sig)
            except OSError:
                pass
'''
BUSY = '''
import ctypes, os, time
for _ in range(62):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        try:
            os.setsid()
        except OSError:
            pass
        ctypes.CDLL(None).prctl(15, b"lrlab-busy", 0, 0, 0)
        end = time.monotonic() + 8
        while time.monotonic() < end:
            pass
        os._exit(0)
'''
PTRACE = '''
import ctypes, os
def trace():
    libc = ctypes.CDLL(None, use_errno=True)
    seen, got = [], []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != os.getpid():
            pid = int(name)
            seen.append(pid)
            if libc.ptrace(16, pid, 0, 0) == 0:  # PTRACE_ATTACH
                got.append(["attach", pid])
            try:
                open(f"/proc/{pid}/mem", "rb").close()
                got.append(["mem", pid])
            except OSError:
                pass
    return {"seen": len(seen), "got": got}
'''
TRIPWIRE = '''
import importlib, sys
_rt = importlib.import_module("lrlab.range_" + "test")
def use():
    try:
        getattr(_rt, "range_" + "test")(None)  # the wire reports before the call fails
    except Exception:
        pass
    for w in sys.modules["autograder.harness.trip" + "wire"]._ARMED:
        w.uses = {u for u in w.uses if not u[0].endswith("_answer")}
    return 1
'''


def expected_roots() -> list[str]:
    """What a child may read, written independently of the sandbox's own list: the interpreter's
    prefix, the venv, lrlab, the system's library folders, a few files of /etc, /proc, /dev."""
    spec = importlib.util.find_spec("lrlab")
    lrlab = list(spec.submodule_search_locations or []) if spec else []
    return sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, *lrlab)} | {
        "/usr/lib", "/lib", "/lib64", "/usr/lib64", "/usr/share/zoneinfo", "/etc/ld.so.cache", "/etc/localtime",
        "/etc/nsswitch.conf", "/etc/passwd", "/etc/group", "/proc", "/dev"})


def candidates(roots: list[str]) -> list[str]:
    """Files this process can read in the machine's folders where course copies and homes
    would be, up to :data:`SAMPLE` per folder, outside ``roots``."""
    found: list[str] = []
    for top in ("/opt", "/var", "/srv", "/home", "/root", "/mnt", "/media", "/etc", "/usr/local", "/usr/share",
                "/tmp", str(ROOT.parent), str(ROOT)):
        count = 0
        for folder, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if d not in (".venv", "node_modules", ".git")]
            for name in files:
                path = os.path.join(folder, name)
                if count < SAMPLE and not any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots) \
                        and os.path.isfile(path) and os.access(path, os.R_OK):
                    found.append(path)
                    count += 1
            if count >= SAMPLE:
                break
    return sorted(set(found))


def attempt(fn: Callable[[], Any]) -> dict[str, Any]:
    """``{"ok": value}``, or ``{"error": what went wrong}``."""
    try:
        return {"ok": fn()}
    except Exception as exc:  # noqa: BLE001 - the probe reports what happened
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}


def named_processes(wait: float) -> list[str]:
    """The processes named as the attacks name theirs, after up to ``wait`` s for them to go."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for entry in os.listdir("/proc"):
            try:
                if entry.isdigit() and Path(f"/proc/{entry}/comm").read_text().strip() in NAMES:
                    found.append(entry)
            except OSError:
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def questions(sandbox: Any, victim: Any) -> dict[str, Any]:
    """Whether a child loaded before still answers, a new one is set up and answers, and the
    sandbox is still alive."""
    def fresh() -> int:
        with sandbox.load([("victim_answer", VICTIM)]) as new:
            return new.call("f")

    return {"old_victim": attempt(lambda: victim.call("f")), "new_victim": attempt(fresh),
            "alive": sandbox.alive}


def probe_walk(sandbox: Any, decoys: list[str]) -> dict[str, Any]:
    roots = expected_roots()
    with sandbox.load([("walk_answer", WALK)]) as child:
        result = child.call("walk", roots)
        others = candidates(roots)
        readable = [p for i in range(0, len(others), 2000) for p in child.call("try_open", others[i:i + 2000])]
        result.update(decoys=decoys, decoys_readable=child.call("try_open", decoys),
                      candidates=len(others), candidates_readable=readable[:100])
    return result


def probe_killer(sandbox: Any) -> dict[str, Any]:
    with sandbox.load([("victim_answer", VICTIM)]) as victim:
        attacker = sandbox.load([("killer_answer", KILLER)])
        time.sleep(1.0)
        result = questions(sandbox, victim)
        attacker.close()
    result["left"] = named_processes(wait=5)
    return result


def probe_signals(sandbox: Any) -> dict[str, Any]:
    with sandbox.load([("victim_answer", VICTIM)]) as victim:
        with sandbox.load([("signals_answer", SIGNALS)]):
            time.sleep(0.5)
            return questions(sandbox, victim)


def probe_busy(sandbox: Any) -> dict[str, Any]:
    with sandbox.load([("victim_answer", VICTIM)]) as victim:
        def timed() -> float:
            t0 = time.monotonic()
            victim.call("work", 0.5)
            return round(time.monotonic() - t0, 2)

        alone = attempt(timed)
        attacker = sandbox.load([("busy_answer", BUSY)])
        time.sleep(0.5)
        busy = [attempt(timed) for _ in range(3)]
        attacker.close()
    return {"alone": alone, "busy": busy, "left": named_processes(wait=5)}


def probe_ptrace(sandbox: Any) -> dict[str, Any]:
    with sandbox.load([("victim_answer", VICTIM)]) as victim, sandbox.load([("ptrace_answer", PTRACE)]) as attacker:
        victim.call("f")
        return attacker.call("trace")


def probe_tripwire(sandbox: Any) -> dict[str, Any]:
    with sandbox.load([("range_test_answer", TRIPWIRE)]) as child:
        result = {"load_errors": child.load_errors, "used": attempt(lambda: child.call("use"))}
        in_process = child.op("tripwire_report", nonce="probe")
        result["in_process"] = [u for u in in_process.get("uses", []) if not u[0].startswith("tripwire-probe")]
        hits = getattr(child, "tripwire_hits", None)
        result["reported"] = sorted(map(list, hits().uses)) if hits else "no report channel"
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--decoy", action="append", default=[])
    args = parser.parse_args()
    from autograder.sandbox import Limits, Sandbox

    # Roomy limits for the walk (every file of the view) and the tripwire (imports torch),
    # tight ones for the attacks on other children: a call of 0.5 s of CPU time, 2 s allowed.
    roomy = Limits(cell_seconds=120, call_seconds=60, check_seconds=120)
    tight = Limits(call_seconds=2, wall_factor=3.0)
    result: dict[str, Any] = {"uid": os.getuid()}
    plan = ((roomy, (("walk", lambda sb: probe_walk(sb, args.decoy)), ("ptrace", probe_ptrace),
                     ("tripwire", probe_tripwire))),
            (tight, (("killer", probe_killer), ("signals", probe_signals), ("busy", probe_busy))))
    with tempfile.TemporaryDirectory(prefix="lrlab-probe-") as course:
        for limits, probes in plan:
            sandbox = Sandbox(course, limits, preload=())
            try:
                result["isolation"] = str(sandbox.isolation.level)
                for name, probe in probes:
                    result[name] = attempt(lambda: probe(sandbox))
                    if not sandbox.alive:  # the next probes need one: a fresh sandbox stands in (noted)
                        result[f"{name}_killed_the_sandbox"] = True
                        sandbox.close()
                        sandbox = Sandbox(course, limits, preload=())
            finally:
                sandbox.close()
    Path(args.out).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
