"""The course's JupyterLab settings: no "Would you like to get notified about official Jupyter
news?" question for anyone (make lab, the demo hub, the student image).

JupyterLab 4.6's announcements live in ``@jupyterlab/apputils-extension:notification``:
``fetchNews`` is "true" (fetch), "false" (never) or "none" (the default: ask). The course
ships ``lab-settings/lrlab.json`` as a packaged override (``<app dir>/settings/overrides.d/``);
``make venv`` installs it into the venv that ``make lab`` and the demo hub run, and
hub/z2jh/Dockerfile copies it into the image (tests/test_z2jh.py).
"""
from __future__ import annotations

import json
from pathlib import Path

from jupyterlab.labapp import LabApp
from jupyterlab_server.settings_utils import _get_overrides, get_settings

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = "@jupyterlab/apputils-extension:notification"
OURS = json.loads((ROOT / "lab-settings" / "lrlab.json").read_text())


def _effective(app_settings_dir: str, tmp_path: Path) -> dict:
    """What the lab's settings API serves for PLUGIN: schema defaults after the overrides
    (jupyterlab_server's own functions, as its settings handler calls them)."""
    app = LabApp()
    overrides, error = _get_overrides(app_settings_dir)
    assert not error, error
    settings, _ = get_settings(app_settings_dir, app.schemas_dir, str(tmp_path), schema_name=PLUGIN,
                               overrides=overrides)
    return {k: v.get("default") for k, v in settings["schema"]["properties"].items()}


def test_the_setting_is_jupyterlabs_own():
    schema = json.loads((Path(LabApp().schemas_dir) / "@jupyterlab" / "apputils-extension" / "notification.json")
                        .read_text())
    assert {c["const"] for c in schema["properties"]["fetchNews"]["oneOf"]} == {"true", "false", "none"}
    assert schema["properties"]["fetchNews"]["default"] == "none"  # JupyterLab asks unless told
    assert set(OURS) == {PLUGIN} and set(OURS[PLUGIN]) <= set(schema["properties"])
    assert OURS[PLUGIN]["fetchNews"] == "false"


def test_make_lab_and_the_demo_hub_never_ask(tmp_path):
    app_settings = LabApp().app_settings_dir  # the venv's: what `make lab` and the hub's servers use
    installed = Path(app_settings) / "overrides.d" / "lrlab.json"
    assert installed.is_file(), "run `make venv`: it installs lab-settings/lrlab.json"
    assert json.loads(installed.read_text()) == OURS
    effective = _effective(app_settings, tmp_path)
    assert effective["fetchNews"] == "false" and effective["checkForUpdates"] is False


def test_without_the_override_jupyterlab_would_ask(tmp_path):
    assert _effective(str(tmp_path / "no-overrides"), tmp_path)["fetchNews"] == "none"
