"""Gradient descent on quadratic bowls, where every step can be computed by hand."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _check(lr: float, steps: int) -> None:
    if lr <= 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")


def gd_quadratic(lr: float, curvature: float = 1.0, x0: float = 1.0, steps: int = 20) -> np.ndarray:
    """Iterates of gradient descent on f(x) = curvature/2 · x².

    Each step is x ← x − lr·curvature·x = (1 − lr·curvature)·x, so the run shrinks
    monotonically for lr·L ≤ 1, oscillates for 1 < lr·L < 2 and blows up for lr·L > 2.
    Returns ``steps + 1`` values starting with ``x0``.
    """
    _check(lr, steps)
    if curvature <= 0:
        raise ValueError(f"curvature must be > 0, got {curvature}")
    return x0 * (1.0 - lr * curvature) ** np.arange(steps + 1)


def gd_bowl(
    lr: float,
    curvatures: Sequence[float] = (10.0, 1.0),
    x0: Sequence[float] = (1.0, 1.0),
    steps: int = 50,
) -> np.ndarray:
    """Iterates of gradient descent on f(x) = ½ Σ Lᵢ xᵢ² (an axis-aligned ill-conditioned bowl).

    Returns an array of shape ``(steps + 1, len(curvatures))``. The largest curvature sets
    the stable learning-rate bound 2/max(L); the smallest sets how slowly the run converges.
    """
    _check(lr, steps)
    L = np.asarray(curvatures, dtype=float)
    if L.ndim != 1 or np.any(L <= 0) or len(L) != len(x0):
        raise ValueError("curvatures must be positive and match x0 in length")
    factors = (1.0 - lr * L)[None, :] ** np.arange(steps + 1)[:, None]
    return factors * np.asarray(x0, dtype=float)[None, :]


def bowl_loss(iterates: np.ndarray, curvatures: Sequence[float]) -> np.ndarray:
    """f(x) = ½ Σ Lᵢ xᵢ² along the iterates of :func:`gd_bowl`."""
    return 0.5 * (np.asarray(curvatures)[None, :] * iterates**2).sum(axis=1)
