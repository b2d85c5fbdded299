"""Jupyter, IPython, matplotlib and npm keep their state inside the repo, not in $HOME."""
from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import ROOT

STATE = ROOT / ".cache"


def _inside_state(path: str | Path) -> bool:
    return Path(path).resolve().is_relative_to(STATE.resolve())


def test_jupyter_and_ipython_dirs_are_inside_the_repo() -> None:
    from IPython.paths import get_ipython_dir
    from jupyter_core.paths import jupyter_config_dir, jupyter_data_dir, jupyter_runtime_dir

    for where in (jupyter_config_dir(), jupyter_data_dir(), jupyter_runtime_dir(), get_ipython_dir()):
        assert _inside_state(where), where


def test_matplotlib_dirs_are_inside_the_repo() -> None:
    import matplotlib

    assert _inside_state(matplotlib.get_configdir()) and _inside_state(matplotlib.get_cachedir())


def test_the_makefile_exports_the_same_locations() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                "MPLCONFIGDIR", "XDG_CACHE_HOME", "npm_config_cache"):
        assert f"export {var} := $(STATE)/" in makefile, var
    assert os.environ.get("HOME") is None or not _inside_state(os.environ["HOME"])
