"""Unit tests for lrlab.curvature: power iteration on Hessian-vector products."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from lrlab import mlp, seed_everything
from lrlab.curvature import top_hessian_eigenvalue


def _explicit_top_eigenvalue(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """The largest-magnitude eigenvalue of the full Hessian, formed explicitly (tiny models only)."""
    params = list(model.parameters())
    shapes = [p.shape for p in params]
    flat = torch.cat([p.detach().reshape(-1) for p in params])

    def loss(vector: torch.Tensor) -> torch.Tensor:
        chunks, i = [], 0
        for shape in shapes:
            n = shape.numel()
            chunks.append(vector[i:i + n].reshape(shape))
            i += n
        weights = dict(zip((name for name, _ in model.named_parameters()), chunks))
        return nn.functional.cross_entropy(torch.func.functional_call(model, weights, (X,)), y)

    hessian = torch.autograd.functional.hessian(loss, flat)
    eigenvalues = torch.linalg.eigvalsh((hessian + hessian.T) / 2)
    return float(eigenvalues[eigenvalues.abs().argmax()])


@pytest.mark.parametrize("seed", [0, 1])
def test_power_iteration_finds_the_largest_hessian_eigenvalue(seed: int) -> None:
    seed_everything(seed)
    model = mlp(4, 3, hidden=(5,))
    X, y = torch.randn(40, 4), torch.randint(0, 3, (40,))
    expected = _explicit_top_eigenvalue(model, X, y)
    found = top_hessian_eigenvalue(model, X, y, iterations=200)
    assert found.eigenvalue == pytest.approx(expected, rel=1e-3)
    assert found.stable_lr_bound == pytest.approx(2.0 / expected, rel=1e-3)
    assert len(found.estimates) == 200


def test_power_iteration_leaves_the_model_unchanged_and_rejects_zero_iterations() -> None:
    seed_everything(0)
    model = mlp(4, 3, hidden=(5,))
    before = [p.detach().clone() for p in model.parameters()]
    X, y = torch.randn(10, 4), torch.randint(0, 3, (10,))
    top_hessian_eigenvalue(model, X, y, iterations=3)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert all(p.grad is None for p in model.parameters())
    with pytest.raises(ValueError):
        top_hessian_eigenvalue(model, X, y, iterations=0)
