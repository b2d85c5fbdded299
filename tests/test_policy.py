"""The sandbox policy is real data: every field of it is read where the sandbox sets itself and
its children up, and changing one changes what a child gets (:mod:`autograder.sandbox.policy`)."""
from __future__ import annotations

import ast
import dataclasses
import os
from pathlib import Path

import pytest

from autograder.sandbox import Sandbox
from autograder.sandbox.policy import (
    POLICY,
    Level,
    Limits,
    Part,
    PartRule,
    Policy,
    Rlimit,
    Tmpfs,
    UidBlocks,
    build,
    describe,
)

SANDBOX = Path(__file__).resolve().parents[1] / "autograder" / "sandbox"


def _is_policy(node: ast.expr) -> bool:
    """``policy`` or ``<anything>.policy`` (the warm parent's ``server.policy``, a config's)."""
    return (isinstance(node, ast.Name) and node.id == "policy") or (isinstance(node, ast.Attribute)
                                                                      and node.attr == "policy")


def read_of_policy(sources: list[str]) -> set[str]:
    """The fields read as ``policy.<field>`` (or ``….policy.<field>``) in these sources."""
    return {node.attr for source in sources for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and _is_policy(node.value)}


def attributes_read(sources: list[str]) -> set[str]:
    """Every ``x.<name>`` read in these sources."""
    return {node.attr for source in sources for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)}


def unused(kind: type, read: set[str]) -> list[str]:
    return [f.name for f in dataclasses.fields(kind) if f.name not in read]


#: The sandbox's code besides the policy's own module, and the policy's own ``level``.
USERS = [p.read_text() for p in sorted(SANDBOX.glob("*.py")) if p.name != "policy.py"]
LEVEL = ast.get_source_segment(POLICY_SOURCE := (SANDBOX / "policy.py").read_text(),
                               next(n for n in ast.walk(ast.parse(POLICY_SOURCE))
                                    if isinstance(n, ast.FunctionDef) and n.name == "level")).replace("self.", "policy.")


def test_every_policy_field_is_read_by_the_sandbox() -> None:
    """Read as ``policy.<field>`` where the warm parent and its children are set up (or by
    :meth:`Policy.level`, which the warm parent asks for its level) — not merely declared,
    built or described in policy.py."""
    assert unused(Policy, read_of_policy([*USERS, LEVEL])) == []


@pytest.mark.parametrize("kind", [Tmpfs, Rlimit, UidBlocks])
def test_every_field_of_a_policy_entry_is_read_by_the_sandbox(kind: type) -> None:
    assert unused(kind, attributes_read(USERS)) == []


def test_every_limit_reaches_the_policy_or_a_child() -> None:
    assert unused(Limits, attributes_read([p.read_text() for p in SANDBOX.glob("*.py")])) == []


def test_the_rule_sees_an_unused_field() -> None:
    """The checks can fail: a field nothing reads, a field read only off something else."""
    assert unused(Policy, read_of_policy(["server.policy.devices\nother.rlimits\n"])) == [
        f.name for f in dataclasses.fields(Policy) if f.name != "devices"]
    assert unused(Rlimit, attributes_read(["limit.soft + limit.hard"])) == ["resource", "above_parent"]


def test_the_policy_travels_as_plain_data() -> None:
    import json

    custom = dataclasses.replace(POLICY, devices=("/dev/null",), environment={"A": "{tmp}"})
    assert Policy.from_plain(json.loads(json.dumps(custom.to_plain()))) == custom
    assert build(Limits(disk_bytes=1 << 20)).child_tmpfs[0].size_bytes == 1 << 20


def test_the_level_comes_from_the_policys_rules() -> None:
    reached = {"network_namespace": True, "mount_namespace": True, "file_view": True, "seccomp": True}
    assert str(POLICY.level(reached)) == "netns+mountns+seccomp+rlimits"
    assert str(POLICY.level({**reached, "file_view": False})) == "netns+seccomp+rlimits"  # no view of its own
    rules = POLICY.level_rules
    stricter = dataclasses.replace(POLICY, level_rules=(*rules[:1], PartRule(Part.MOUNTNS, "m", ("never",)), *rules[2:]))
    assert Part.MOUNTNS not in stricter.level(reached)


def test_the_help_renders_the_policy() -> None:
    text = describe()
    for rule in POLICY.level_rules:
        assert f"{rule.part}" in text and rule.meaning in text
    assert "/tmp 64 MiB" in text and " ".join(POLICY.devices) in text


PROBE = '''
import os, resource
def opens(path):
    try:
        open(path, "rb").close()
        return "opened"
    except OSError as exc:
        return type(exc).__name__
def probe():
    shm = os.statvfs("/dev/shm")
    return {"env": dict(os.environ), "nofile": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
            "shm_bytes": shm.f_blocks * shm.f_frsize, "cwd": os.getcwd(),
            "zero": opens("/dev/zero"), "urandom": opens("/dev/urandom")}
'''


def test_a_changed_policy_changes_what_a_child_gets(tmp_path: Path) -> None:
    """Environment, a private tmpfs size, an rlimit and the devices come from the policy."""
    policy = build(Limits(open_files=99))
    policy = dataclasses.replace(
        policy,
        environment={**policy.environment, "LRLAB_POLICY_PROBE": "in {tmp}"},
        devices=tuple(d for d in policy.devices if d != "/dev/zero"),
        child_tmpfs=tuple(dataclasses.replace(t, size_bytes=3 << 20) if t.point == "/dev/shm" else t
                          for t in policy.child_tmpfs),
    )
    with Sandbox(tmp_path, policy=policy, preload=()) as sandbox, sandbox.load([("probe", PROBE)]) as student:
        got = student.call("probe")
        level = sandbox.isolation.level
    assert got["env"]["LRLAB_POLICY_PROBE"] == f"in {got['cwd']}" and set(got["env"]) == set(policy.environment)
    assert got["nofile"] == [99, 99]
    if Part.MOUNTNS in level and os.path.isdir("/dev/shm"):
        assert got["shm_bytes"] == 3 << 20
    if Part.MOUNTNS in level:  # a device the policy leaves out is not in the child's view
        assert (got["zero"], got["urandom"]) == ("FileNotFoundError", "opened")
    elif Part.LANDLOCK in level:  # nor within its reach
        assert (got["zero"], got["urandom"]) == ("PermissionError", "opened")
    assert isinstance(level, Level)
