"""The curvature of a network's loss: its largest Hessian eigenvalue (lecture 3).

Lecture 2 showed that gradient descent on a bowl is stable only for η < 2/L, with L the
largest curvature. A network's loss has a Hessian H (millions of second derivatives for
large models) whose largest eigenvalue λ plays the role of L. H is never formed: power
iteration needs only Hessian-vector products H·v, which autograd computes by
differentiating the gradient a second time (Pearlmutter 1994).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class Curvature:
    """The result of :func:`top_hessian_eigenvalue`: λ and its estimate after every iteration."""

    eigenvalue: float
    estimates: tuple[float, ...]

    @property
    def stable_lr_bound(self) -> float:
        """2/λ: the largest stable rate of gradient descent on a bowl of curvature λ."""
        return 2.0 / self.eigenvalue


def _dot(a: list[torch.Tensor], b: list[torch.Tensor]) -> torch.Tensor:
    return sum((x * y).sum() for x, y in zip(a, b))  # type: ignore[return-value]


def top_hessian_eigenvalue(
    model: nn.Module, X: torch.Tensor, y: torch.Tensor, iterations: int = 30, seed: int = 0
) -> Curvature:
    """The largest-magnitude eigenvalue of the Hessian of the mean cross-entropy of ``model``
    on ``(X, y)`` with respect to all its parameters, by power iteration on Hessian-vector
    products, starting from a seeded random direction. Each estimate is the Rayleigh quotient
    vᵀHv of the current unit vector v. The model is not changed.
    """
    if iterations < 1:
        raise ValueError(f"iterations must be >= 1, got {iterations}")
    params = [p for p in model.parameters() if p.requires_grad]
    loss = nn.functional.cross_entropy(model(X), y)
    grads = torch.autograd.grad(loss, params, create_graph=True)
    generator = torch.Generator().manual_seed(seed)
    v = [torch.randn(p.shape, generator=generator) for p in params]
    estimates: list[float] = []
    for _ in range(iterations):
        norm = torch.sqrt(_dot(v, v))
        v = [t / norm for t in v]
        hv = torch.autograd.grad(grads, params, grad_outputs=v, retain_graph=True)
        estimates.append(float(_dot(list(hv), v)))
        v = [t.detach() for t in hv]
    return Curvature(eigenvalue=estimates[-1], estimates=tuple(estimates))
