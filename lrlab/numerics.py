"""Pin PyTorch's CPU numerics to code paths that do not depend on the instruction set.

One thread and a seed are not enough for identical digits on every machine: PyTorch picks
its CPU kernels by instruction set (ATen's vectorised kernels: AVX2, AVX-512, …; Intel MKL's
BLAS: a branch per CPU), and runs near the stability edge amplify the last-bit differences
into different tables. Two settings remove that choice:

``ATEN_CPU_CAPABILITY=default``
    ATen's kernels compiled for the x86-64 baseline (SSE2, no FMA) instead of AVX2/AVX-512.
``MKL_CBWR=COMPATIBLE``
    MKL's conditional numerical reproducibility mode: the same SSE2 code path on every CPU.

Both are read once, at the first computation that needs them, so :func:`pin_cpu_numerics`
runs when ``lrlab`` is imported (before anything computes). Every kernel that shows course
numbers imports ``lrlab`` (nbval, ``make execute``, JupyterLab, the hub, the grader's worker
and scorer), which makes the import the one place all of them go through, whoever started
the kernel and with whatever environment. :func:`check_pinned` (called by
:func:`lrlab.seed_everything`) raises when PyTorch computed before ``lrlab`` was imported.

``LRLAB_NATIVE_NUMERICS=1`` skips the pinning (the CPU's fastest paths, digits that depend
on the machine); the portability test uses it to show what the pinning prevents.
"""
from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

PINNED_ENV: dict[str, str] = {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"}
NATIVE_SWITCH = "LRLAB_NATIVE_NUMERICS"
_MKL_CBWR_BRANCH = 1  # mkl_service.h: the "which branch" query ...
_MKL_CBWR_COMPATIBLE = 3  # ... and the COMPATIBLE branch


class NumericsNotPinned(RuntimeError):
    """PyTorch chose its CPU code paths before ``lrlab`` could pin them."""


def native_requested() -> bool:
    """True when ``LRLAB_NATIVE_NUMERICS=1`` asks for the CPU's own (unpinned) code paths."""
    return os.environ.get(NATIVE_SWITCH) == "1"


def pin_cpu_numerics() -> None:
    """Set the environment that makes PyTorch's CPU kernels independent of the CPU.

    Overrides any value already set: a course notebook must print the same table on every
    machine. Has no effect on a process in which PyTorch already computed something.
    """
    if not native_requested():
        os.environ.update(PINNED_ENV)


def _mkl_branch() -> int | None:
    """MKL's active reproducibility branch, or None where PyTorch is built without MKL."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    library = Path(torch.__file__).parent / "lib" / "libtorch_cpu.so"
    try:
        query = ctypes.CDLL(str(library)).mkl_serv_cbwr_get
    except (OSError, AttributeError):
        return None
    query.restype = ctypes.c_int
    return int(query(ctypes.c_int(_MKL_CBWR_BRANCH)))


def active_code_paths() -> dict[str, str]:
    """What this process computes with: ATen's CPU capability and MKL's branch."""
    import torch

    branch = _mkl_branch()
    return {
        "aten": torch.backends.cpu.get_cpu_capability(),
        "mkl": "unavailable" if branch is None else ("COMPATIBLE" if branch == _MKL_CBWR_COMPATIBLE else str(branch)),
    }


def check_pinned() -> None:
    """Raise :class:`NumericsNotPinned` if PyTorch runs on CPU-specific code paths.

    That happens when a cell computed with torch before ``import lrlab``: the printed
    numbers would then depend on this machine's CPU.
    """
    if native_requested():
        return
    active = active_code_paths()
    if active["aten"] != "DEFAULT" or active["mkl"] not in ("COMPATIBLE", "unavailable"):
        raise NumericsNotPinned(
            f"PyTorch already chose CPU-specific code paths (ATen {active['aten']}, MKL branch "
            f"{active['mkl']}) because it computed before `import lrlab`. Restart the kernel and "
            "import lrlab before running any torch code, so your numbers match everyone else's."
        )
