"""pyproject.toml and environment.yml must describe the same pinned environment."""
from __future__ import annotations

import re
import tomllib

import yaml

from tests.conftest import ROOT

# conda-forge names that differ from the PyPI ones
CONDA_TO_PYPI = {"pytorch": "torch"}
NOT_PYTHON_PACKAGES = {"python", "pip", "nodejs"}


def _split(spec: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(?:==?\s*([^=\s;]+))?", spec)
    assert match, f"cannot parse requirement {spec!r}"
    return match.group(1).lower().replace("_", "-"), match.group(2) or ""


def _pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra
    pins = dict(_split(s) for s in specs)
    unpinned = [n for n, v in pins.items() if not v]
    assert not unpinned, f"unpinned in pyproject.toml: {unpinned}"
    return pins


def _conda_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins: dict[str, str] = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for spec in dep.get("pip", []):
                if not spec.startswith("-"):
                    pins.update([_split(spec)])
            continue
        name, version = _split(dep)
        if name not in NOT_PYTHON_PACKAGES:
            pins[CONDA_TO_PYPI.get(name, name)] = version
    return pins


def test_environment_yml_matches_pyproject() -> None:
    assert _conda_pins() == _pyproject_pins()


def test_torch_is_pinned_to_the_cpu_wheel_version() -> None:
    assert _pyproject_pins()["torch"] == "2.13.0"


def test_pins_are_what_is_installed() -> None:
    from importlib.metadata import version

    for name, pinned in _pyproject_pins().items():
        assert version(name).split("+")[0] == pinned, name


def test_parser_notices_a_disagreement() -> None:
    conda = _conda_pins()
    conda["torch"] = "2.14.1"
    assert conda != _pyproject_pins()
