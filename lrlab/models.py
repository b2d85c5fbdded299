"""Small models: one epoch on digits takes milliseconds."""
from __future__ import annotations

from collections.abc import Sequence

from torch import nn


def mlp(n_features: int = 64, n_classes: int = 10, hidden: Sequence[int] = (64,)) -> nn.Sequential:
    """A ReLU multilayer perceptron ``n_features → hidden… → n_classes`` (logits out)."""
    if n_features < 1 or n_classes < 2:
        raise ValueError("need n_features >= 1 and n_classes >= 2")
    if any(h < 1 for h in hidden):
        raise ValueError(f"hidden sizes must be >= 1, got {tuple(hidden)}")
    layers: list[nn.Module] = []
    width = n_features
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, n_classes))
    return nn.Sequential(*layers)


def logistic_regression(n_features: int = 64, n_classes: int = 10) -> nn.Sequential:
    """Multinomial logistic regression: one linear layer producing logits."""
    return mlp(n_features, n_classes, hidden=())
