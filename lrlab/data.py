"""Datasets (no downloads), split and standardised without leakage: scikit-learn's bundled real
sets, split by seed, and the generated sets of :mod:`lrlab.synthetic`, whose split is fixed."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from sklearn import datasets as skdatasets
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, Sampler, TensorDataset

from lrlab.synthetic import GENERATED

_LOADERS = {
    "digits": skdatasets.load_digits,
    "breast_cancer": skdatasets.load_breast_cancer,
    "wine": skdatasets.load_wine,
    "iris": skdatasets.load_iris,
}
DATASETS: tuple[str, ...] = tuple(_LOADERS)
#: Every name :func:`load_split` accepts: the bundled sets, then the generated ones.
ALL_DATASETS: tuple[str, ...] = DATASETS + tuple(GENERATED)


@dataclass(frozen=True)
class Split:
    """A stratified train/validation split as float32/int64 tensors."""

    name: str
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_val: torch.Tensor
    y_val: torch.Tensor

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        return int(torch.cat([self.y_train, self.y_val]).max().item()) + 1


@lru_cache(maxsize=None)
def _bundled(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The dataset as read from scikit-learn's bundled files (read once per process: parsing
    them costs more than building a model, and a lecture runs dozens of seeded runs)."""
    bunch = _LOADERS[name]()
    return bunch.data.astype(np.float64), bunch.target.astype(np.int64)


def load_arrays(name: str = "digits") -> tuple[np.ndarray, np.ndarray]:
    """Return the raw features and labels of a bundled scikit-learn dataset (fresh copies)."""
    if name not in _LOADERS:
        raise ValueError(f"unknown bundled dataset {name!r}; choose one of {', '.join(DATASETS)}")
    X, y = _bundled(name)
    return X.copy(), y.copy()


def load_split(
    name: str = "digits",
    val_fraction: float | None = None,
    seed: int = 0,
    standardize: bool = True,
    n_train: int | None = None,
) -> Split:
    """Load ``name``, split it and standardise with training statistics only.

    A bundled set is split stratified by ``seed``, a ``val_fraction`` of its rows (default
    0.25) for validation; ``n_train`` keeps only that many training rows (stratified), which
    makes overfitting easy to demonstrate. A generated set (:data:`lrlab.synthetic.GENERATED`)
    has its split built in, the same for every seed: it takes neither ``val_fraction`` nor
    ``n_train``. The scaler is fitted on the training rows alone and then applied to the
    validation rows, so nothing about the validation set leaks into training.
    """
    if name not in ALL_DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(ALL_DATASETS)}")
    if name in GENERATED:
        if val_fraction is not None or n_train is not None:
            raise ValueError(f"{name!r} has a fixed split: it takes no val_fraction or n_train")
        X_tr, y_tr, X_va, y_va = GENERATED[name]()
        return _standardized(name, X_tr, y_tr, X_va, y_va, standardize)
    val_fraction = 0.25 if val_fraction is None else val_fraction
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    X, y = load_arrays(name)
    X_tr, X_va, y_tr, y_va = train_test_split(
        X, y, test_size=val_fraction, stratify=y, random_state=seed
    )
    if n_train is not None:
        if not len(np.unique(y_tr)) <= n_train < len(y_tr):
            raise ValueError(f"n_train must be between {len(np.unique(y_tr))} and {len(y_tr) - 1}")
        X_tr, _, y_tr, _ = train_test_split(
            X_tr, y_tr, train_size=n_train, stratify=y_tr, random_state=seed
        )
    return _standardized(name, X_tr, y_tr, X_va, y_va, standardize)


def _standardized(name: str, X_tr: np.ndarray, y_tr: np.ndarray, X_va: np.ndarray, y_va: np.ndarray,
                  standardize: bool) -> Split:
    """The split as tensors, both parts scaled with the training rows' statistics."""
    if standardize:
        scaler = StandardScaler().fit(X_tr)
        X_tr, X_va = scaler.transform(X_tr), scaler.transform(X_va)
    return Split(
        name=name,
        X_train=torch.tensor(X_tr, dtype=torch.float32),
        y_train=torch.tensor(y_tr, dtype=torch.int64),
        X_val=torch.tensor(X_va, dtype=torch.float32),
        y_val=torch.tensor(y_va, dtype=torch.int64),
    )


class ShuffledBatches(Sampler[torch.Tensor]):
    """Each epoch, a fresh permutation of ``range(n)`` cut into batches of index tensors.

    The batches and the random stream of ``BatchSampler(RandomSampler(rows, generator=g),
    batch_size, drop_last=False)``, without turning every index into a Python int and back:
    that round trip cost a fifth of every training step. ``RandomSampler`` (torch 2.13) draws
    a second, empty permutation when its first one is used up, i.e. when the batch after the
    last full one is asked for; it is drawn here at the same moment so the generator's
    state, and with it every later epoch, stays the same (``test_lrlab`` compares them).
    """

    def __init__(self, n: int, batch_size: int, generator: torch.Generator) -> None:
        self.n, self.batch_size, self.generator = n, batch_size, generator

    def __iter__(self) -> Iterator[torch.Tensor]:
        order = torch.randperm(self.n, generator=self.generator)
        full = self.n - self.n % self.batch_size
        if full:  # fewer rows than a batch: no full batch (an empty split would be a batch of none)
            yield from order[:full].split(self.batch_size)
        torch.randperm(self.n, generator=self.generator)  # RandomSampler's empty second draw
        if full < self.n:
            yield order[full:]

    def __len__(self) -> int:
        return -(-self.n // self.batch_size)


def make_loaders(
    split: Split, batch_size: int = 64, seed: int = 0
) -> tuple[DataLoader, DataLoader]:
    """Shuffled (seeded) training loader and an in-order validation loader.

    Each batch is gathered with one indexing operation (:class:`ShuffledBatches` hands the
    dataset a tensor of rows) instead of one ``__getitem__`` per row and a stack: the same
    rows in the same order as ``DataLoader(..., batch_size, shuffle=True, generator=...)``,
    at a fraction of the cost, which keeps every lecture inside its time budget.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    generator = torch.Generator().manual_seed(seed)
    train_rows = TensorDataset(split.X_train, split.y_train)
    val_rows = TensorDataset(split.X_val, split.y_val)
    train = DataLoader(
        train_rows,
        batch_size=None,
        sampler=ShuffledBatches(len(train_rows), batch_size, generator),
        generator=generator,  # the loader draws from it each epoch, as with shuffle=True
    )
    val = DataLoader(val_rows, batch_size=None, sampler=torch.arange(len(val_rows)).split(1024))  # in order
    return train, val
