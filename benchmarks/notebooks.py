"""Seconds per notebook: executes every notebook in course/ and source/*/ and prints a table.

    python benchmarks/notebooks.py            # from the repository root

Notebooks run in a fresh kernel each (kernel start and imports included, as a student would
experience them), seeded and on one thread, and are NOT written back. No timing is asserted;
compare the numbers with the 30 s per lecture budget by eye or in CI logs.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from tabulate import tabulate

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.execute_notebooks import execute_notebook, stderr_cells  # noqa: E402


def notebooks(root: Path = ROOT) -> list[Path]:
    """Lecture notebooks, then source assignment notebooks (either folder may be absent)."""
    found = sorted((root / "course").glob("*.ipynb"))
    found += sorted((root / "source").glob("*/*.ipynb"))
    return [p for p in found if ".ipynb_checkpoints" not in p.parts]


def time_notebook(path: Path) -> tuple[float, str]:
    """Wall-clock seconds to execute ``path`` and a one-word status."""
    start = time.perf_counter()
    try:
        nb = execute_notebook(path)
        status = "stderr" if stderr_cells(nb) else "ok"
    except Exception as exc:
        status = f"error ({type(exc).__name__})"
    return time.perf_counter() - start, status


def main() -> int:
    # Source notebooks' hidden test cells import autograder.checks from the course root, as
    # under nbgrader (nbgrader_config.py does the same for the kernels nbgrader starts).
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    paths = notebooks()
    if not paths:
        print("no notebooks found in course/ or source/*/")
        return 0
    rows, total = [], 0.0
    for path in paths:
        seconds, status = time_notebook(path)
        total += seconds
        rows.append([str(path.relative_to(ROOT)), f"{seconds:.1f}", status])
    rows.append(["total", f"{total:.1f}", ""])
    print(tabulate(rows, headers=["Notebook", "Seconds", "Status"], tablefmt="github",
                   disable_numparse=True, colalign=("left", "right", "left")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
