"""The children's Landlock allow-list (:mod:`autograder.sandbox._landlock`), on its own: what a
restricted process may still read and write, in a forked process of the test."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autograder.sandbox._landlock import abi_version, readable_roots, restrict
from autograder.sandbox.policy import POLICY

ABI, WHY = abi_version()


@pytest.fixture()
def tree() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="lrlab-landlock-"))
    for sub in ("public/deep", "hidden/kept", "hidden/secret", "private"):
        (base / sub).mkdir(parents=True)
    for rel in ("public/deep/a.txt", "hidden/kept/k.txt", "hidden/secret/s.txt", "hidden/top.txt"):
        (base / rel).write_text(rel)
    try:
        yield base
    finally:
        shutil.rmtree(base)


def test_readable_roots_are_the_complement_of_the_hidden_paths(tree: Path) -> None:
    """Every folder with something hidden below it is split into its entries; what holds
    nothing hidden is one root; kept paths come back; symbolic links are left out."""
    (tree / "link").symlink_to(tree / "hidden")
    roots = readable_roots([tree / "hidden"], [tree / "hidden" / "kept"])
    assert "/" not in roots and str(tree) not in roots and str(tree / "link") not in roots
    assert {str(tree / "public"), str(tree / "private"), str(tree / "hidden" / "kept")} <= set(roots)
    assert sorted(r for r in roots if r.startswith(f"{tree}/")) == [
        str(tree / "hidden" / "kept"), str(tree / "private"), str(tree / "public")]


def _in_child(fn: Callable[[], list[str]]) -> list[str]:
    """Run ``fn`` in a forked process (Landlock cannot be undone) and return its lines."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            out = "\n".join(fn())
        except BaseException as exc:  # noqa: BLE001
            out = f"child failed: {type(exc).__name__}: {exc}"
        os.write(w, out.encode())
        os._exit(0)
    os.close(w)
    with os.fdopen(r) as fh:
        out = fh.read()
    os.waitpid(pid, 0)
    return out.splitlines()


def _try(what: str, fn: Callable[[], object]) -> str:
    try:
        fn()
        return f"{what}: ok"
    except OSError as exc:
        return f"{what}: {type(exc).__name__}"


@pytest.mark.skipif(not ABI, reason=f"no Landlock here: {WHY}")
def test_a_restricted_process_reads_the_allowed_writes_its_own_and_nothing_else(tree: Path) -> None:
    roots = readable_roots([tree / "hidden"], [tree / "hidden" / "kept"])

    def probe() -> list[str]:
        restrict(roots, [str(tree / "private")], POLICY.devices)
        return [
            _try("read public", lambda: (tree / "public/deep/a.txt").read_text()),
            _try("read kept", lambda: (tree / "hidden/kept/k.txt").read_text()),
            _try("read secret", lambda: (tree / "hidden/secret/s.txt").read_text()),
            _try("read top", lambda: (tree / "hidden/top.txt").read_text()),
            _try("list hidden", lambda: os.listdir(tree / "hidden")),
            _try("write public", lambda: (tree / "public/deep/a.txt").write_text("x")),
            _try("create public", lambda: (tree / "public/new.txt").write_text("x")),
            _try("write kept", lambda: (tree / "hidden/kept/k.txt").write_text("x")),
            _try("truncate public", lambda: os.truncate(tree / "public/deep/a.txt", 0)),
            _try("rename public", lambda: os.rename(tree / "public/deep", tree / "private/moved")),
            _try("remove public", lambda: os.remove(tree / "public/deep/a.txt")),
            _try("write private", lambda: (tree / "private/mine.txt").write_text("mine")),
            _try("write /dev/null", lambda: Path("/dev/null").write_text("x")),
            _try("read /etc/hostname", lambda: Path("/etc/hostname").read_text()),
        ]

    lines = _in_child(probe)
    assert lines == ["read public: ok", "read kept: ok", "read secret: PermissionError", "read top: PermissionError",
                     "list hidden: PermissionError", "write public: PermissionError",
                     "create public: PermissionError", "write kept: PermissionError",
                     "truncate public: PermissionError", "rename public: PermissionError",
                     "remove public: PermissionError", "write private: ok", "write /dev/null: ok",
                     "read /etc/hostname: ok"], lines
    assert (tree / "public/deep/a.txt").read_text() == "public/deep/a.txt"
    assert (tree / "private/mine.txt").read_text() == "mine"
