"""How fast the sandbox is: warm-parent start, a child's start, a call, notebook execution.

    python benchmarks/sandbox.py [--repeat N] [--no-kernel]

Compares executing a notebook in the sandbox (a child forked from the warm parent, cells
run by IPython's InteractiveShell) with nbclient in a fresh ipykernel (what nbgrader does
per submission). Prints numbers only; nothing is asserted.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook  # noqa: E402

from autograder.sandbox import Limits, Sandbox  # noqa: E402

PROGRAM = [
    ("setup:0", "import math\nimport numpy as np\nimport torch\nimport lrlab"),
    ("answer", "def cosine(step, total, base, final):\n"
               "    return final + 0.5 * (base - final) * (1 + math.cos(math.pi * step / total))\n"),
]


def synthetic_notebook() -> nbformat.NotebookNode:
    return new_notebook(cells=[
        new_markdown_cell("# A typical assignment notebook"),
        new_code_cell("import math\nimport numpy as np\nimport torch\nimport matplotlib.pyplot as plt\nimport lrlab\n"
                      "lrlab.seed_everything(0)"),
        new_code_cell("def cosine(step, total, base, final):\n"
                      "    return final + 0.5 * (base - final) * (1 + math.cos(math.pi * step / total))"),
        new_code_cell("lrs = [cosine(s, 100, 0.1, 0.001) for s in range(100)]\nprint(f'{lrs[50]:.4f}')\nlrs[-1]"),
        new_code_cell("plt.plot(lrs)\nplt.xlabel('step'); plt.ylabel('lr'); plt.yscale('log');"),
        new_code_cell("model = torch.nn.Linear(64, 10)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
                      "x = torch.randn(256, 64); y = torch.randint(0, 10, (256,))\n"
                      "for _ in range(50):\n    opt.zero_grad(); loss = torch.nn.functional.cross_entropy(model(x), y)\n"
                      "    loss.backward(); opt.step()\nfloat(loss)"),
    ])


def the_notebook() -> tuple[str, nbformat.NotebookNode]:
    for candidate in sorted((ROOT / "release").glob("*/*.ipynb")):
        return str(candidate.relative_to(ROOT)), nbformat.read(candidate, as_version=4)
    return "synthetic", synthetic_notebook()


def ms(values: list[float]) -> str:
    return f"median {1000 * statistics.median(values):.1f} ms (min {1000 * min(values):.1f}, n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--no-kernel", action="store_true", help="skip the nbclient/ipykernel comparison")
    args = parser.parse_args()

    t0 = time.perf_counter()
    sandbox = Sandbox(ROOT, Limits())
    print(f"warm parent start: {time.perf_counter() - t0:.2f} s; isolation: {sandbox.isolation.level}")
    with sandbox:
        starts, calls, totals = [], [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            student = sandbox.load(PROGRAM)
            starts.append(time.perf_counter() - t)
            t = time.perf_counter()
            student.call_many("cosine", [([s, 100, 0.1, 0.001], {}) for s in range(100)])
            calls.append(time.perf_counter() - t)
            student.close()
            totals.append(time.perf_counter() - t + starts[-1])
        print(f"child start (fork + load program): {ms(starts)}")
        print(f"call_many of 100 calls:            {ms(calls)}")
        print(f"child start + calls + close:       {ms(totals)}")

        name, nb = the_notebook()
        runs = []
        for _ in range(max(3, args.repeat // 2)):
            result = sandbox.execute_notebook(nb, cell_timeout=60, total_timeout=300)
            runs.append(result.seconds)
        print(f"execute_notebook ({name}, {result.failure or 'ok'}): {ms(runs)}")

    if not args.no_kernel:
        from nbclient import NotebookClient

        runs = []
        for _ in range(3):
            t = time.perf_counter()
            NotebookClient(nbformat.from_dict(nb), timeout=60, kernel_name="python3", allow_errors=True).execute()
            runs.append(time.perf_counter() - t)
        print(f"nbclient + fresh ipykernel (same notebook): {ms(runs)}")


if __name__ == "__main__":
    main()
