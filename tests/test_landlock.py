"""The children's Landlock domain (:mod:`autograder.sandbox._landlock`) and the allow-list it
is given without a mount namespace (:meth:`autograder.sandbox._view.View.readable`), on their
own: what a restricted process may still read, write and signal, in a forked process of the test."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autograder.sandbox._landlock import SCOPE_ABI, abi_version, restrict
from autograder.sandbox._view import View
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


def _view(tree: Path) -> View:
    """The tree allowed, its ``hidden`` folder out of it, ``hidden/kept`` back in."""
    return View((str(tree), str(tree / "hidden" / "kept")), (), (str(tree / "hidden"),))


def test_the_readable_roots_are_the_allowed_trees_without_the_hidden_paths(tree: Path) -> None:
    """A tree with something hidden below it is split into its entries; what holds nothing
    hidden is one root; an allowed path inside a hidden one comes back; links are left out."""
    (tree / "link").symlink_to(tree / "hidden")
    roots = _view(tree).readable()
    assert roots == [str(tree / "private"), str(tree / "public"), str(tree / "hidden" / "kept")]


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
    roots = _view(tree).readable() + ["/etc/hostname"]

    def probe() -> list[str]:
        restrict(ABI, roots, [str(tree / "private")], POLICY.devices, list_all=False)
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
            _try("read /etc/hosts", lambda: Path("/etc/hosts").read_text()),
            _try("list /", lambda: os.listdir("/")),
        ]

    lines = _in_child(probe)
    assert lines == ["read public: ok", "read kept: ok", "read secret: PermissionError", "read top: PermissionError",
                     "list hidden: PermissionError", "write public: PermissionError",
                     "create public: PermissionError", "write kept: PermissionError",
                     "truncate public: PermissionError", "rename public: PermissionError",
                     "remove public: PermissionError", "write private: ok", "write /dev/null: ok",
                     "read /etc/hostname: ok", "read /etc/hosts: PermissionError", "list /: PermissionError"], lines
    assert (tree / "public/deep/a.txt").read_text() == "public/deep/a.txt"
    assert (tree / "private/mine.txt").read_text() == "mine"


@pytest.mark.skipif(ABI < SCOPE_ABI, reason=f"Landlock ABI {ABI} has no scoping (needs {SCOPE_ABI})")
def test_a_restricted_process_signals_and_connects_only_within_its_domain(tree: Path) -> None:
    """Scoping: no signal to a process outside the domain (here: the test's own process, the
    same user), no abstract unix socket made outside it, no TCP; its own children it may
    signal (they share the domain)."""
    import signal
    import socket

    outside = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    outside.bind(f"\0lrlab-landlock-{os.getpid()}")
    outside.listen()
    parent = os.getpid()

    def probe() -> list[str]:
        restrict(ABI, [], [str(tree / "private")], POLICY.devices, list_all=False)
        child = os.fork()
        if child == 0:
            import time

            time.sleep(30)
            os._exit(0)
        lines = [
            _try("signal outside", lambda: os.kill(parent, 0)),
            _try("abstract socket outside", lambda: socket.socket(socket.AF_UNIX).connect(
                f"\0lrlab-landlock-{parent}")),
            _try("tcp", lambda: socket.create_connection(("127.0.0.1", 9), timeout=1)),
            _try("signal own child", lambda: os.kill(child, signal.SIGKILL)),
        ]
        os.waitpid(child, 0)
        return lines

    try:
        lines = _in_child(probe)
    finally:
        outside.close()
    assert lines == ["signal outside: PermissionError", "abstract socket outside: PermissionError",
                     "tcp: PermissionError", "signal own child: ok"], lines
