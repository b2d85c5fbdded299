"""Generated datasets: the course's noisy problem, made by a seeded generator (no download).

Digits (1 797 images) is small and clean: a network overfits it before the noise of its
mini-batch gradients matters, so there learning-rate schedules differ by less than the seeds
do. ``noisy`` is the opposite on purpose, built with scikit-learn's ``make_classification`` at a
fixed ``random_state``: 8 classes, each made of 2 Gaussian clusters in 15 informative
directions, that overlap (``class_sep=0.8``), with 5 % of the labels replaced by random ones
(``flip_y=0.05``), in 30 features (2 of them redundant combinations, 13 pure noise). Every
mini-batch then points somewhere else, while 3 000 training rows seen three times are too many
to memorise: the noise of SGD, not overfitting, limits the loss (``lrlab.testbed``).

Its split is part of the problem: the first 3 000 rows train, the last 10 000 validate, for every
seed (a seed changes the initial weights and the batch order only). 10 000 validation rows
measure a model's loss to about ±0.013 (one standard error), well below the differences the
lectures compare.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
from sklearn.datasets import make_classification

#: Rows of the noisy problem: the first ``N_TRAIN`` train, the last ``N_VAL`` validate.
N_TRAIN, N_VAL = 3_000, 10_000


@lru_cache(maxsize=1)
def _noisy() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_classification(
        n_samples=N_TRAIN + N_VAL,
        n_features=30,
        n_informative=15,
        n_redundant=2,
        n_classes=8,
        n_clusters_per_class=2,
        flip_y=0.05,
        class_sep=0.8,
        random_state=0,
    )
    return X.astype(np.float64), y.astype(np.int64)


def noisy() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The noisy problem as ``(X_train, y_train, X_val, y_val)`` (fresh copies, not scaled)."""
    X, y = _noisy()
    return X[:N_TRAIN].copy(), y[:N_TRAIN].copy(), X[N_TRAIN:].copy(), y[N_TRAIN:].copy()


#: Generated datasets by name: each returns its fixed ``(X_train, y_train, X_val, y_val)``.
GENERATED: dict[str, Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] = {"noisy": noisy}
