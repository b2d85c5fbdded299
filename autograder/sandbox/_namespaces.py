"""The warm parent's namespaces: the first of the policy's ``namespace_paths`` that works here."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from autograder.sandbox import _linux as L

#: Every uid and gid mapped to itself (what a root that may not unshare directly asks for).
IDENTITY_MAP = "0 0 4294967295"


def enter(details: dict[str, Any]) -> str:
    """Enter new network and mount namespaces the way this process can; record in ``details``
    what was reached (``network_namespace``, ``mount_namespace``, ``user_namespace``,
    ``namespace_path`` and the errors met on the way). Returns the path's name."""
    details.update(network_namespace=False, mount_namespace=False, user_namespace=False)
    root = os.geteuid() == 0
    if root:
        try:
            L.unshare(L.CLONE_NEWNET | L.CLONE_NEWNS)
            details.update(network_namespace=True, mount_namespace=True, namespace_path="root")
            return "root"
        except OSError as exc:
            details["root_namespaces_error"] = str(exc)
    try:
        mapped = _enter_user_namespace(identity=root)
    except OSError as exc:
        details["user_namespace_error"] = str(exc)
    else:
        path = "userns-root" if mapped == IDENTITY_MAP else "userns"
        details.update(user_namespace=True, network_namespace=True, mount_namespace=True, namespace_path=path)
        if root and mapped != IDENTITY_MAP:
            details["identity_map_error"] = "the helper could not map every uid (no CAP_SETUID?)"
        return path
    details["namespace_path"] = "none"
    return "none"


def _enter_user_namespace(identity: bool) -> str:
    """unshare(user, network, mount) and write the uid/gid maps; returns the uid map written.

    ``identity``: a helper forked beforehand stays in the parent namespace, where it holds
    CAP_SETUID and CAP_SETGID, and maps every uid and gid to itself — so the children can
    still get uids of their own. Without it (or when the helper fails) only this process's
    own uid is mapped, to root of the new namespace.
    """
    uid, gid = os.getuid(), os.getgid()
    helper = _MapHelper() if identity else None
    try:
        L.unshare(L.CLONE_NEWUSER | L.CLONE_NEWNET | L.CLONE_NEWNS)
    except OSError:
        if helper:
            helper.cancel()
        raise
    if helper and helper.map_parent():
        return IDENTITY_MAP
    own = f"0 {uid} 1"
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(own)
    Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
    return own


class _MapHelper:
    """A forked helper that writes the identity maps of its parent once told to."""

    def __init__(self) -> None:
        self._go_r, self._go_w = os.pipe()
        self._done_r, self._done_w = os.pipe()
        parent = os.getpid()
        self.pid = os.fork()
        if self.pid == 0:  # ---------------- helper: never returns
            os.close(self._go_w)
            os.close(self._done_r)
            ok = b"n"
            try:
                if os.read(self._go_r, 1) == b"y":
                    Path(f"/proc/{parent}/uid_map").write_text(IDENTITY_MAP)
                    Path(f"/proc/{parent}/gid_map").write_text(IDENTITY_MAP)
                    ok = b"y"
            except OSError:
                pass
            finally:
                try:
                    os.write(self._done_w, ok)
                finally:
                    os._exit(0)
        os.close(self._go_r)
        os.close(self._done_w)

    def _finish(self, go: bytes) -> bool:
        try:
            os.write(self._go_w, go)
            done = os.read(self._done_r, 1) == b"y"
        finally:
            os.close(self._go_w)
            os.close(self._done_r)
            os.waitpid(self.pid, 0)
        return done

    def map_parent(self) -> bool:
        """Ask the helper to write the maps (this process has just unshared its user namespace)."""
        return self._finish(b"y")

    def cancel(self) -> None:
        self._finish(b"n")
