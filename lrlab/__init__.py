"""LR Lab: the small library the course notebooks import.

It holds data loading, models, the one training loop, gradient descent on quadratics,
loss tables and plots. It holds NO assignment solutions.

Importing it first pins PyTorch's CPU numerics (see :mod:`lrlab.numerics`), so every
seeded run prints the same digits on every x86-64 machine.
"""
from lrlab.numerics import pin_cpu_numerics

pin_cpu_numerics()  # before anything below can make PyTorch compute

# ruff: noqa: E402  (the imports below must follow the pinning)
from lrlab.data import DATASETS, Split, load_split, make_loaders
from lrlab.models import logistic_regression, mlp
from lrlab.quadratic import gd_bowl, gd_quadratic
from lrlab.report import compare_table, loss_table, summary_table
from lrlab.seed import seed_everything
from lrlab.train import Experiment, History, build, run, train

__all__ = [
    "DATASETS",
    "Experiment",
    "History",
    "Split",
    "build",
    "compare_table",
    "gd_bowl",
    "gd_quadratic",
    "load_split",
    "logistic_regression",
    "loss_table",
    "make_loaders",
    "mlp",
    "run",
    "seed_everything",
    "summary_table",
    "train",
]
