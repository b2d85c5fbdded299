"""Training measured every few steps instead of once per epoch: the same run, seen more often.

A :class:`~lrlab.History` has one point per epoch. On the noisy testbed an epoch is 375 steps
and a run three epochs, too few points to see a loss level off. :func:`train_in_rounds`
trains an :class:`~lrlab.Experiment` exactly as :meth:`Experiment.train` would — the same
batches in the same order, the same updates — but records the losses after every ``steps``
optimizer steps (a *round*): its History has one entry per round instead of per epoch, and
after every whole epoch its weights are those of the ordinary run.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterator

import torch
from torch.utils.data import DataLoader

from lrlab.train import Experiment, History, evaluate, train


class Rounds:
    """The training loader's endless sequence of epochs, handed out ``steps`` batches at a time:
    each iteration continues where the previous one stopped."""

    def __init__(self, loader: DataLoader, steps: int) -> None:
        if steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        self.steps = steps
        self._stream = itertools.chain.from_iterable(itertools.repeat(loader))

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return itertools.islice(self._stream, self.steps)

    def __len__(self) -> int:
        return self.steps


def train_in_rounds(experiment: Experiment, steps: int, rounds: int) -> History:
    """Train ``experiment`` for ``rounds`` × ``steps`` optimizer steps and record the losses
    after every ``steps`` of them: ``History.train_loss[i]`` is the mean mini-batch loss of
    round ``i + 1``, ``val_loss[i]`` the validation loss after it (index 0 is round 1).

    The starting losses are measured as :meth:`Experiment.train` measures them (one pass over
    the training loader, which moves its shuffling on by one epoch, as there), so the run is
    the ordinary one. A scheduler must be stepped per batch (``step_per="batch"``): per round
    it would be stepped at the wrong moments.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    if experiment.scheduler is not None and experiment.step_per != "batch":
        raise ValueError("train_in_rounds needs a scheduler stepped per batch (step_per='batch')")
    start_train, _ = evaluate(experiment.model, experiment.train_loader)
    start_val, _ = evaluate(experiment.model, experiment.val_loader)
    history = train(experiment.model, experiment.optimizer, Rounds(experiment.train_loader, steps),  # type: ignore[arg-type]
                    experiment.val_loader, rounds, experiment.scheduler, experiment.step_per,
                    clip_grad_norm=experiment.clip_grad_norm, measure_start=False)
    history.initial_train_loss, history.initial_val_loss = start_train, start_val
    return history
