"""Shared fixtures; keeps every test's Jupyter/IPython/matplotlib state inside the repo.

``make test`` exports the same locations; they are set here too (before anything imports
matplotlib or Jupyter) so a bare ``pytest`` run does not write into $HOME either.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_STATE = ROOT / ".cache"
for var, sub in {
    "JUPYTER_CONFIG_DIR": "jupyter/config",
    "JUPYTER_DATA_DIR": "jupyter/data",
    "JUPYTER_RUNTIME_DIR": "jupyter/runtime",
    "IPYTHONDIR": "ipython",
    "MPLCONFIGDIR": "matplotlib",
    "XDG_CACHE_HOME": "xdg",
    "npm_config_cache": "npm",
}.items():
    os.environ.setdefault(var, str(_STATE / sub))

import matplotlib  # noqa: E402  (after MPLCONFIGDIR is set)

matplotlib.use("Agg")
