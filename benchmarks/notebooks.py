"""Seconds per notebook: executes every notebook in course/ and source/*/ and prints a table.

    python benchmarks/notebooks.py                         # from the repository root
    python benchmarks/notebooks.py course/03_lr_sweep.ipynb  # only these

Notebooks run in a fresh kernel each (kernel start and imports included, as a student would
experience them), seeded and on one thread, and are NOT written back. No timing is asserted;
compare the numbers with the 30 s per lecture budget by eye or in CI logs.

Wall-clock time depends on what else the machine is doing, so the table also gives the CPU
seconds the kernel used (it runs on one thread: on an idle machine its wall time is about its
CPU time plus the kernel start) and the load average before and after each notebook. CPU time
grows too on a busy machine (shared caches and cores), so measure when the load is low.
"""
from __future__ import annotations

import argparse
import os
import resource
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


def _children_cpu() -> float:
    """CPU seconds used so far by finished child processes (the kernels) of this process."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_notebook(path: Path) -> tuple[float, float, str]:
    """Wall-clock seconds and kernel CPU seconds to execute ``path``, and a one-word status."""
    cpu, start = _children_cpu(), time.perf_counter()
    try:
        nb = execute_notebook(path)
        status = "stderr" if stderr_cells(nb) else "ok"
    except Exception as exc:
        status = f"error ({type(exc).__name__})"
    return time.perf_counter() - start, _children_cpu() - cpu, status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: course/*.ipynb and source/*/*.ipynb")
    args = parser.parse_args(argv)
    # Source notebooks' hidden test cells import autograder.checks from the course root, as
    # under nbgrader (nbgrader_config.py does the same for the kernels nbgrader starts).
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    paths = [p.resolve() for p in args.notebooks] or notebooks()
    if not paths:
        print("no notebooks found in course/ or source/*/")
        return 0
    rows, total = [], 0.0
    for path in paths:
        load_before = os.getloadavg()[0]
        seconds, cpu, status = time_notebook(path)
        total += seconds
        rows.append([str(path.relative_to(ROOT)), f"{seconds:.1f}", f"{cpu:.1f}",
                     f"{load_before:.1f} → {os.getloadavg()[0]:.1f}", status])
    rows.append(["total", f"{total:.1f}", "", "", ""])
    print(tabulate(rows, headers=["Notebook", "Seconds", "Kernel CPU s", "Load (1 min)", "Status"], tablefmt="github",
                   disable_numparse=True, colalign=("left", "right", "right", "right", "left")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
