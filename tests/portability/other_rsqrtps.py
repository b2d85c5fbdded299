"""PyTorch's float32 square root as MKL computes it on a CPU with another RSQRTPS table.

Under ``MKL_CBWR=COMPATIBLE`` MKL's vector math (which ``torch.sqrt`` calls) computes a
square root from RSQRTPS, an approximate reciprocal square root whose result bits each CPU
design chooses (Intel's and AMD's differ; the architecture only bounds the error by
1.5 * 2**-12), followed by two Newton steps. :func:`mkl_compatible_sqrt` is that algorithm
(MKL 2024.2, ``mkl_vml_kernel_sSqrt_EXHAynn``): fed with Intel's RSQRTPS table it reproduced
MKL's results bit for bit on an Intel CPU, on 2**20 inputs and through whole training runs.
Here it is fed with another valid table (1/sqrt(x) rounded to 12 significant bits), i.e. it
computes what MKL computes on a CPU whose RSQRTPS rounds that way: about 7 % of the results
change their last bit.

Importing this module (before ``lrlab``) makes it PyTorch's CPU kernel for ``aten::sqrt``:
``lrlab``'s correctly rounded square root is registered on top of it, so the emulated CPU
shows only where that pin is missing.
"""
from __future__ import annotations

import warnings

import numpy as np
import torch

_SMALLEST_NORMAL = np.float32(np.finfo(np.float32).tiny)


def other_rsqrtps(x: np.ndarray) -> np.ndarray:
    """An RSQRTPS within the architectural bound that is not Intel's: 1/sqrt(x) to 12 bits."""
    mantissa, exponent = np.frexp(1.0 / np.sqrt(x.astype(np.float64)))
    return np.ldexp(np.round(mantissa * 4096) / 4096, exponent).astype(np.float32)


def mkl_compatible_sqrt(x: np.ndarray) -> np.ndarray:
    """MKL's COMPATIBLE-branch float32 square root, built on :func:`other_rsqrtps`.

    Normal positive inputs: r = RSQRTPS(x), y = x*r, h = r/2, e = 1/2 - y*h, y1 = y + y*e,
    h1 = h + h*e, result y1 + h1*(x - y1*y1), every step rounded to float32 (SSE2, no FMA).
    MKL sends zeros, subnormals, infinities, NaNs and negatives to an exact path.
    """
    x = np.asarray(x, dtype=np.float32)
    normal = np.isfinite(x) & (x >= _SMALLEST_NORMAL)
    safe = np.where(normal, x, np.float32(1))
    r = other_rsqrtps(safe)
    half = np.float32(0.5)
    y, h = safe * r, r * half
    e = half - y * h
    y1, h1 = y * e + y, h * e + h
    with np.errstate(invalid="ignore"):
        return np.where(normal, (safe - y1 * y1) * h1 + y1, np.sqrt(x))


def _install() -> None:
    original = torch.library.get_kernel("aten::sqrt", "CPU")

    def sqrt(keyset: torch.DispatchKeySet, x: torch.Tensor) -> torch.Tensor:
        if x.dtype != torch.float32:
            return original.call_boxed(keyset, x)
        return torch.from_numpy(mkl_compatible_sqrt(x.detach().numpy())).reshape(x.shape)

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="(?s).*Overriding a previously registered kernel")
        _LIBRARY.impl("sqrt", sqrt, "CPU", with_keyset=True)


_LIBRARY = torch.library.Library("aten", "IMPL")
_install()
