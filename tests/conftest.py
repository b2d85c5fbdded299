"""Shared fixtures; keeps every test's Jupyter/IPython/matplotlib state inside the repo."""
from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
_STATE = ROOT / ".cache"
for var, sub in {
    "JUPYTER_CONFIG_DIR": "jupyter/config",
    "JUPYTER_DATA_DIR": "jupyter/data",
    "JUPYTER_RUNTIME_DIR": "jupyter/runtime",
    "IPYTHONDIR": "ipython",
    "MPLCONFIGDIR": "matplotlib",
}.items():
    os.environ.setdefault(var, str(_STATE / sub))
