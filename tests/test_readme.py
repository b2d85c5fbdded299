"""The README's commands exist and are the ones CI and the tests exercise."""
from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()


def _make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", MAKEFILE, flags=re.MULTILINE))


def _recipe(target: str) -> str:
    match = re.search(rf"^{target}:[^\n]*\n((?:\t[^\n]*\n)+)", MAKEFILE, flags=re.MULTILINE)
    assert match, f"no recipe for make {target}"
    return match.group(1)


def test_the_two_commands_come_first() -> None:
    first_block = README.split("```")[1]
    assert re.findall(r"^make (\w+)", first_block, flags=re.MULTILINE) == ["demo", "test"]


def test_every_make_command_in_the_readme_is_a_target() -> None:
    mentioned = set(re.findall(r"`?make ([a-z][a-z-]*)", README))
    assert {"demo", "test", "lab", "release", "hub", "execute", "bench", "publish"} <= mentioned
    assert mentioned <= _make_targets(), mentioned - _make_targets()


def test_ci_runs_exactly_make_test() -> None:
    commands = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith("#") and not line.startswith("set ")
    ]
    assert commands[-1] == "make test" and all(c.startswith("cd ") for c in commands[:-1])


def test_make_targets_run_what_the_tests_exercise() -> None:
    # make demo -> tests/test_pipeline.py::test_demo_from_a_clean_copy runs the same command
    assert "-m autograder demo" in _recipe("demo")
    # make test -> pytest over tests/ and nbval over course/ (this very run)
    assert "pytest tests course --nbval" in _recipe("test")
    # ... on both cores, whole files per worker: one notebook's nbval cells share a kernel
    assert "-n 2 --dist loadfile" in _recipe("test")
    # make execute -> tools/execute_notebooks.py, tested in tests/test_course_notebooks.py
    assert "tools/execute_notebooks.py" in _recipe("execute")
    # make release -> python -m autograder release, exercised in tests/test_pipeline.py
    assert "-m autograder release" in _recipe("release")
    # make publish -> python -m autograder publish, exercised in tests/test_publish.py
    assert "-m autograder publish $(PUBLISH_DIR)" in _recipe("publish")


def test_every_autograder_verb_in_the_readme_exists(capsys: pytest.CaptureFixture[str]) -> None:
    from autograder.cli import build_parser

    verbs = set(re.findall(r"python -m autograder ([a-z]+)", README))
    assert {"release", "collect", "grade", "feedback", "export", "report", "publish"} <= verbs
    for verb in sorted(verbs | {"no-such-verb"}):
        with pytest.raises(SystemExit) as exit_info:
            build_parser().parse_args([verb, "--help"])
        assert exit_info.value.code == (2 if verb == "no-such-verb" else 0), verb
    capsys.readouterr()


def test_help_is_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    from autograder.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    shown = capsys.readouterr().out
    assert "``" not in shown and ":mod:" not in shown, shown  # no reStructuredText in a terminal
    assert shown.splitlines()[2].startswith("LR Lab's instructor command line")
    for verb in ("release", "collect", "grade", "feedback", "export", "report", "publish", "demo"):
        assert verb in shown


def test_every_autograder_command_in_the_readmes_parses() -> None:
    """Each `python -m autograder …` written out in the README or hub/README.md is a valid
    command line (placeholders in capitals stand for values)."""
    from autograder.cli import build_parser

    text = README + (ROOT / "hub" / "README.md").read_text()
    token = r"(?:'[^']*'|[\w./:*-]+)"
    commands = re.findall(rf"python -m autograder ({token}(?: {token})*)", text)
    assert len([c for c in commands if " " in c]) >= 12, commands
    for command in commands:
        args = [a.strip("'") for a in command.split()]
        if args[0] == "VERB" or len(args) == 1:  # the verb named in prose (checked above)
            continue
        build_parser().parse_args(args)  # SystemExit (status 2) on anything argparse refuses
    assert any("--format canvas" in c for c in commands) and any(c.startswith("publish ") for c in commands)
