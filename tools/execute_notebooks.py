"""Re-execute notebooks in place so their committed outputs are fresh and reproducible.

    python tools/execute_notebooks.py                 # every notebook in course/
    python tools/execute_notebooks.py course/01_*.ipynb

Each notebook runs top to bottom in a fresh kernel whose working directory is the
notebook's folder (as in JupyterLab and nbval), with ``OMP_NUM_THREADS=1`` and
``PYTHONHASHSEED=0``. Timing metadata is not recorded, so re-running an unchanged notebook
changes nothing but widget model ids. The exit status is 1 when a cell fails or writes to
stderr (a warning in a graded cell costs a student points, so lectures must not show any).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
ENV = {"OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}


def execute_notebook(path: Path, timeout: int = 120, kernel: str = "python3") -> nbformat.NotebookNode:
    """Execute ``path`` in a fresh seeded kernel and return the executed notebook (unsaved)."""
    os.environ.update(ENV)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel,
        resources={"metadata": {"path": str(path.resolve().parent)}},
        record_timing=False,
        store_widget_state=True,
    )
    client.execute()
    return nb


def stderr_cells(nb: nbformat.NotebookNode) -> list[int]:
    """Indices of code cells that wrote to stderr."""
    return [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in cell.outputs)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: course/*.ipynb")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "course").glob("*.ipynb"))
    if not paths:
        print("no notebooks to execute", file=sys.stderr)
        return 1
    status = 0
    for path in paths:
        start = time.perf_counter()
        try:
            nb = execute_notebook(path, timeout=args.timeout)
        except Exception as exc:  # a failing cell: report it, keep the file unchanged
            print(f"FAILED {path}: {type(exc).__name__}: {str(exc).strip().splitlines()[-1:]}")
            status = 1
            continue
        nbformat.write(nb, path)
        noisy = stderr_cells(nb)
        if noisy:
            print(f"STDERR {path}: cells {noisy} wrote to stderr (saved anyway; fix them)")
            status = 1
        print(f"ok {path} ({time.perf_counter() - start:.1f} s)")
    return status


if __name__ == "__main__":
    sys.exit(main())
