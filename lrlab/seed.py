"""One call that makes a run reproducible: seeds and a single CPU thread."""
from __future__ import annotations

import os
import random

import numpy as np
import torch

from lrlab.numerics import check_pinned


def seed_everything(seed: int = 0, threads: int = 1) -> None:
    """Seed Python, NumPy and PyTorch and pin PyTorch to ``threads`` CPU threads.

    One thread makes floating-point reductions happen in the same order on every machine,
    and the pinned CPU code paths (:mod:`lrlab.numerics`) make each operation round the same
    way on every CPU, so the 4-decimal tables in the notebooks print identically everywhere.
    Raises :class:`lrlab.numerics.NumericsNotPinned` if PyTorch computed before ``lrlab``
    was imported.

    ``torch.use_deterministic_algorithms`` is deliberately not called: it changes CUDA
    kernels and a few scatter operations, none of which the course uses on the CPU (the
    portability test prints the same digits with and without it), and it costs every kernel
    about 4 s of imports (the compiler stack).
    """
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    check_pinned()
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
