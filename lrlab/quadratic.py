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
    monotonically for lr·L ≤ 1, oscillates for 1 < lr·L ≤ 2 (shrinking below 2, at a constant
    size at exactly 2) and blows up for lr·L > 2.
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


# --- Noisy gradients: why a constant rate never settles (lecture 2, section 6) -------------------
#
# Each step sees one sample's loss L/2·(x − z)², z drawn afresh with mean 0 and variance s²:
# on average f(x) = L/2·x² + f*, with f* = L·s²/2 a floor no x can go below (like wrong labels).
# The sample's gradient L·(x − z) is right on average and wrong every time, and a step is
# x ← (1 − ηL)·x + ηL·z.


def _per_step(lrs: float | Sequence[float], steps: int | None) -> np.ndarray:
    """The rate of every step: ``lrs`` repeated ``steps`` times, or the given sequence."""
    if np.isscalar(lrs):
        if steps is None or steps < 1:
            raise ValueError("a constant rate needs steps >= 1")
        rates = np.full(steps, float(lrs))  # type: ignore[arg-type]
    else:
        rates = np.asarray(lrs, dtype=float)
        if rates.ndim != 1 or len(rates) < 1 or (steps is not None and steps != len(rates)):
            raise ValueError("lrs must be a rate or a 1-D sequence of one rate per step")
    if np.any(rates < 0) or not np.all(np.isfinite(rates)):
        raise ValueError("rates must be finite and >= 0")
    return rates


def noise_floor(curvature: float, noise: float) -> float:
    """f* = L·s²/2: the loss of the best x on the noisy parabola, which no rate can beat."""
    return curvature * noise**2 / 2


def stationary_excess(lr: float, curvature: float = 1.0, noise: float = 1.0) -> float:
    """Where a constant rate settles: E[f(x)] − f* → f*·ηL/(2 − ηL) (infinite for ηL ≥ 2).

    From E[x²] ← (1 − ηL)²·E[x²] + (ηL)²·s², whose fixed point is s²·ηL/(2 − ηL).
    """
    step_size = lr * curvature  # ηL: the fraction of the distance one exact step covers
    return noise_floor(curvature, noise) * step_size / (2 - step_size) if 0 <= step_size < 2 else float("inf")


def expected_excess(
    lrs: float | Sequence[float], curvature: float = 1.0, noise: float = 1.0, x0: float = 1.0,
    steps: int | None = None,
) -> np.ndarray:
    """E[f(x_t)] − f* at every step t = 0 … T of SGD on the noisy parabola, exactly (no sampling):
    e ← (1 − η_t·L)²·e + (η_t·L)²·f*, from e₀ = L/2·x0². ``lrs`` is a constant rate (with
    ``steps``) or one rate per step (a schedule)."""
    rates = _per_step(lrs, steps)
    floor = noise_floor(curvature, noise)
    excess = np.empty(len(rates) + 1)
    excess[0] = curvature * x0**2 / 2
    for t, lr in enumerate(rates):
        excess[t + 1] = (1 - lr * curvature) ** 2 * excess[t] + (lr * curvature) ** 2 * floor
    return excess


def noisy_gd(
    lrs: float | Sequence[float], curvature: float = 1.0, noise: float = 1.0, x0: float = 1.0,
    steps: int | None = None, runs: int = 1000, seed: int = 0,
) -> np.ndarray:
    """Iterates of ``runs`` independent SGD runs on the noisy parabola, shape ``(T + 1, runs)``:
    x ← (1 − η_t·L)·x + η_t·L·z with a fresh z ~ N(0, noise²) per step and run (seeded)."""
    if runs < 1:
        raise ValueError(f"runs must be >= 1, got {runs}")
    rates = _per_step(lrs, steps)
    rng = np.random.default_rng(seed)
    xs = np.empty((len(rates) + 1, runs))
    xs[0] = x0
    for t, lr in enumerate(rates):
        z = noise * rng.standard_normal(runs)
        xs[t + 1] = (1 - lr * curvature) * xs[t] + (lr * curvature) * z
    return xs
