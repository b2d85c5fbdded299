"""The privilege levels the sandbox supports, made from the test's own (a test helper).

A test that must see the grader where it really runs starts a helper script
(``tests/isolation_grade.py``, ``tests/level_probe.py``) as root, as root without
CAP_SYS_ADMIN (:data:`CAPLESS`: a default Docker or Kubernetes container) or as an
unprivileged user (:data:`NOBODY`, :func:`as_user`), and reads the JSON it writes. Making the
other levels needs root; run as another user, only that user's level can be had.
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

ROOT = Path(__file__).resolve().parents[1]
NOBODY = 65534
CAPLESS = ["setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin"]
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")


def env(home: Path) -> dict[str, str]:
    """This process's environment with the user's state in ``home``."""
    out = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON", "MPL", "XDG"))}
    out.update(HOME=str(home), TMPDIR=str(home), MPLCONFIGDIR=str(home / "mpl"), IPYTHONDIR=str(home / "ipython"),
               JUPYTER_CONFIG_DIR=str(home / "jupyter"), JUPYTER_DATA_DIR=str(home / "jupyter-data"),
               JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"), JUPYTER_PLATFORM_DIRS="1",
               PYTHONDONTWRITEBYTECODE="1")
    return out


def run_helper(script: str, prefix: list[str], *args: str, uid: int | None = None,
               timeout: float = 1500) -> tuple[dict, str]:
    """Run ``tests/<script> OUT.json args…`` behind ``prefix`` (as ``uid``: its own home, the
    checkout reachable); its JSON and its stderr."""
    home = Path(tempfile.mkdtemp(prefix="lrlab-iso-home-"))
    try:
        out = home / "result.json"
        command = [sys.executable, str(ROOT / "tests" / script), str(out), *args]
        if uid is not None:
            os.chown(home, uid, uid)
            command = as_user(uid, command)
        proc = subprocess.run(prefix + command, env=env(home), capture_output=True, text=True, timeout=timeout)
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


def as_user(uid: int, command: list[str]) -> list[str]:
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


def userns_allowed(uid: int) -> bool:
    probe = ["unshare", "--user", "--map-root-user", "--net", "true"]
    if os.geteuid() == 0:
        probe = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *probe]
    return subprocess.run(probe, capture_output=True).returncode == 0


#: The three levels as (name, command prefix, uid to run as): root, root without
#: CAP_SYS_ADMIN, an unprivileged user — or, run as another user, that user alone.
LEVELS = ([("root", [], None), ("capless-root", CAPLESS, None), ("unprivileged", [], NOBODY)]
          if os.geteuid() == 0 and shutil.which("setpriv") else [("unprivileged", [], None)])
