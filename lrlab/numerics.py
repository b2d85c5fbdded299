"""Pin PyTorch's CPU numerics to code paths that do not depend on the CPU.

One thread and a seed are not enough for identical digits on every machine: PyTorch picks
its CPU kernels by instruction set (ATen's vectorised kernels: AVX2, AVX-512, …; Intel MKL's
BLAS and vector math: a branch per CPU), and runs near the stability edge amplify the
last-bit differences into different tables. Three pins remove those choices:

``ATEN_CPU_CAPABILITY=default``
    ATen's kernels compiled for the x86-64 baseline (SSE2, no FMA) instead of AVX2/AVX-512.
``MKL_CBWR=COMPATIBLE``
    MKL's conditional numerical reproducibility mode: the same SSE2 code branch on every CPU,
    for its BLAS (the Linear layers) and its vector math (VML: ``torch.sqrt``, ``exp``,
    ``log``, ``tanh``, … on float tensors).
A correctly rounded ``torch.sqrt`` (:func:`pin_square_root`)
    MKL's COMPATIBLE branch computes a float square root from RSQRTPS, an *approximate*
    reciprocal square root whose result bits are left to each CPU design (Intel's and AMD's
    tables differ), refined by two Newton steps that keep the approximation's fingerprint:
    about one result in six misses the correctly rounded square root by a last bit, and which
    ones depends on the table. Adam, AdamW and RMSprop take a square root at every step, so
    without this pin their runs print other digits on another vendor's CPU while SGD's do
    not. No environment setting moves it (every MKL branch that runs on all x86-64 CPUs
    starts from RSQRTPS), so lrlab registers its own CPU kernel for ``aten::sqrt``,
    ``sqrt_`` and ``sqrt.out``: NumPy's ``np.sqrt`` for float32/float64 (and integers,
    promoted as PyTorch promotes them), i.e. the IEEE square-root instruction, correctly
    rounded on every CPU. Other dtypes keep PyTorch's kernel.

MKL's COMPATIBLE vector math also starts from approximate instructions (RCPPS/RSQRTPS) in
float32 ``log2``, ``log10``, ``tan``, ``atan``, ``asin`` and ``acos``, in several float64
functions, and in ``x ** 0.5`` (ATen's ``pow`` calls MKL's square root directly). The course
computes none of them on tensors; code that prints their last digits depends on the CPU's
vendor. glibc, too, picks FMA or SSE2 versions of ``exp``, ``log``, ``pow`` and ``cos`` by
CPU, and they disagree in the last bit for rare inputs: float32 ``expf`` (ATen's softmax) at
one input in [-104, 0], Python's ``0.999 ** k`` and ``cos(pi * t / T)`` (Adam's bias
correction, the schedules) at a few inputs in 10 000. PyTorch rounds those Python floats to
float32 before it uses them, which hides a last-bit difference except about once in 2**29;
the portability test runs its cells with glibc's SSE2 versions as well.

The environment is read once, at the first computation that needs it, so
:func:`pin_cpu_numerics` runs when ``lrlab`` is imported (before anything computes). Every
kernel that shows course numbers imports ``lrlab`` (nbval, ``make execute``, JupyterLab, the
hub, the grader's worker and scorer), which makes the import the one place all of them go
through, whoever started the kernel and with whatever environment. :func:`check_pinned`
(called by :func:`lrlab.seed_everything`) raises when PyTorch computed before ``lrlab`` was
imported.

``LRLAB_NATIVE_NUMERICS=1`` skips the pinning (the CPU's fastest paths, digits that depend
on the machine); the portability test uses it to show what the pinning prevents.
"""
from __future__ import annotations

import ctypes
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

PINNED_ENV: dict[str, str] = {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"}
NATIVE_SWITCH = "LRLAB_NATIVE_NUMERICS"
_MKL_CBWR_BRANCH = 1  # mkl_service.h: the "which branch" query ...
_MKL_CBWR_COMPATIBLE = 3  # ... and the COMPATIBLE branch
_SQRT_OVERLOADS = ("sqrt", "sqrt_", "sqrt.out")
_sqrt_library: torch.library.Library | None = None  # holds the sqrt kernels (kept alive here)


class NumericsNotPinned(RuntimeError):
    """PyTorch chose its CPU code paths before ``lrlab`` could pin them."""


def native_requested() -> bool:
    """True when ``LRLAB_NATIVE_NUMERICS=1`` asks for the CPU's own (unpinned) code paths."""
    return os.environ.get(NATIVE_SWITCH) == "1"


def pin_cpu_numerics() -> None:
    """Set the environment that makes PyTorch's CPU kernels independent of the CPU, and
    make ``torch.sqrt`` correctly rounded (:func:`pin_square_root`).

    Overrides any value already set: a course notebook must print the same table on every
    machine. The environment has no effect on a process in which PyTorch already computed
    something (:func:`check_pinned` catches that).
    """
    if not native_requested():
        os.environ.update(PINNED_ENV)
        pin_square_root()


def _correctly_rounded_sqrt_kernels() -> dict[str, Callable[..., Any]]:
    """CPU kernels for ``aten::sqrt``, ``sqrt_`` and ``sqrt.out`` that compute float32 and
    float64 square roots with ``np.sqrt`` and hand every other dtype to PyTorch's kernel."""
    import numpy as np
    import torch

    original = {name: torch.library.get_kernel(f"aten::{name}", "CPU") for name in _SQRT_OVERLOADS}
    exact = (torch.float32, torch.float64)

    def square_root(x: torch.Tensor) -> torch.Tensor:
        result = torch.empty_like(x)
        with np.errstate(invalid="ignore"):  # sqrt(-1) is NaN without a warning, as in PyTorch
            np.sqrt(x.detach().numpy(), out=result.numpy())
        return result

    def sqrt(keyset: torch.DispatchKeySet, x: torch.Tensor) -> torch.Tensor:
        if not (x.is_floating_point() or x.is_complex()):  # integers: PyTorch's type promotion
            x = x.to(torch.get_default_dtype())
        return square_root(x) if x.dtype in exact else original["sqrt"].call_boxed(keyset, x)

    def sqrt_(keyset: torch.DispatchKeySet, x: torch.Tensor) -> torch.Tensor:
        if x.dtype not in exact:
            return original["sqrt_"].call_boxed(keyset, x)
        return x.copy_(square_root(x))  # copy_ keeps PyTorch's checks (e.g. overlapping memory)

    def sqrt_out(keyset: torch.DispatchKeySet, x: torch.Tensor, *, out: torch.Tensor) -> torch.Tensor:
        if x.dtype not in exact or out.dtype != x.dtype:
            return original["sqrt.out"].call_boxed(keyset, x, out=out)
        if out.shape != x.shape:
            out.resize_(x.shape)
        return out.copy_(square_root(x))

    return {"sqrt": sqrt, "sqrt_": sqrt_, "sqrt.out": sqrt_out}


def pin_square_root() -> None:
    """Make ``torch.sqrt`` (and ``sqrt_``, ``out=``) correctly rounded on every CPU.

    Replaces PyTorch's CPU kernels, which call MKL's vector math, by
    :func:`_correctly_rounded_sqrt_kernels` (why: see the module docstring). Idempotent; the
    registration lives as long as the process. PyTorch warns once that a kernel is
    overridden: that is the point, so the warning is not shown.
    """
    global _sqrt_library
    if _sqrt_library is not None:
        return
    import torch

    library = torch.library.Library("aten", "IMPL")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="(?s).*Overriding a previously registered kernel")
        for name, kernel in _correctly_rounded_sqrt_kernels().items():
            library.impl(name, kernel, "CPU", with_keyset=True)
    _sqrt_library = library


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
    """What this process computes with: ATen's CPU capability, MKL's branch and the kernel
    behind ``torch.sqrt``."""
    import torch

    branch = _mkl_branch()
    return {
        "aten": torch.backends.cpu.get_cpu_capability(),
        "mkl": "unavailable" if branch is None else ("COMPATIBLE" if branch == _MKL_CBWR_COMPATIBLE else str(branch)),
        "sqrt": "correctly rounded" if _sqrt_library is not None else "PyTorch's",
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
