"""The one training loop every lesson uses, and the History it returns."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypedDict, Unpack

import torch
from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau
from torch.utils.data import DataLoader

from lrlab.data import Split, load_split, make_loaders
from lrlab.models import mlp
from lrlab.seed import seed_everything

StepPer = Literal["epoch", "batch"]
SchedulerFactory = Callable[[Optimizer], "LRScheduler | ReduceLROnPlateau"]
_OPTIMIZERS: dict[str, Callable[..., Optimizer]] = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
}


#: A loss above this counts as diverged, as in problem set 2's rules (their ``DIVERGE_LOSS``):
#: a model that guesses uniformly scores ln(classes), at most 2.3 on the course's datasets, so a
#: run past 100 has left every region a learning model visits, and the further digits of its
#: loss are decided by rounding, not by the rate.
DIVERGENCE_LOSS = 100.0


def is_diverged_loss(value: float) -> bool:
    """True for a loss that counts as diverged: not finite, or above :data:`DIVERGENCE_LOSS`."""
    return not math.isfinite(value) or value > DIVERGENCE_LOSS


@dataclass
class History:
    """What a run did, epoch by epoch (index 0 is epoch 1) and step by step.

    ``initial_train_loss``/``initial_val_loss`` are measured before the first update.
    ``lr`` holds the learning rate of the first parameter group at every optimizer step.
    ``stopped_nonfinite`` is True when training stopped early on a non-finite loss.
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    initial_train_loss: float = math.nan
    initial_val_loss: float = math.nan
    epochs_planned: int = 0
    stopped_nonfinite: bool = False

    @property
    def epochs_run(self) -> int:
        return len(self.train_loss)

    @property
    def diverged_epoch(self) -> int | None:
        """The first epoch (1-based) whose training or validation loss counts as diverged
        (:func:`is_diverged_loss`); None if the run never diverged."""
        for epoch, losses in enumerate(zip(self.train_loss, self.val_loss), start=1):
            if any(is_diverged_loss(v) for v in losses):
                return epoch
        return None

    @property
    def diverged(self) -> bool:
        """True when a loss became non-finite or rose above :data:`DIVERGENCE_LOSS`, even if
        the run came back down later (problem set 2's rules call such a run diverging)."""
        return self.stopped_nonfinite or self.diverged_epoch is not None

    @property
    def best_val_loss(self) -> float:
        """The lowest validation loss of the run; NaN for a run that diverged (its best epoch
        is not a result a reader should take from it)."""
        if self.diverged:
            return math.nan
        finite = [v for v in self.val_loss if math.isfinite(v)]
        return min(finite) if finite else math.nan

    @property
    def final_val_acc(self) -> float:
        return self.val_acc[-1] if self.val_acc else math.nan

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready; non-finite floats stay floats)."""
        return asdict(self)

    def then(self, later: History) -> History:
        """This run followed by ``later``, its continuation (e.g. after resuming from a
        checkpoint): epochs and steps in order, the initial losses of this run."""
        return History(
            train_loss=self.train_loss + later.train_loss,
            val_loss=self.val_loss + later.val_loss,
            train_acc=self.train_acc + later.train_acc,
            val_acc=self.val_acc + later.val_acc,
            lr=self.lr + later.lr,
            initial_train_loss=self.initial_train_loss,
            initial_val_loss=self.initial_val_loss,
            epochs_planned=self.epochs_planned + later.epochs_planned,
            stopped_nonfinite=self.stopped_nonfinite or later.stopped_nonfinite,
        )


def evaluate(model: nn.Module, loader: DataLoader, loss_fn: nn.Module | None = None) -> tuple[float, float]:
    """(mean loss, accuracy) of ``model`` over every row of ``loader``, with the weights as
    they are now (no update, no dropout)."""
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for X, y in loader:
            logits = model(X)
            total += loss_fn(logits, y).item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            count += len(y)
    return total / count, correct / count


def train(
    model: nn.Module,
    optimizer: Optimizer,
    train_loader: DataLoader,
    val_loader: DataLoader,
    epochs: int,
    scheduler: LRScheduler | ReduceLROnPlateau | None = None,
    step_per: StepPer = "epoch",
    verbose: bool = False,
    clip_grad_norm: float | None = None,
    measure_start: bool = True,
) -> History:
    """Train ``model`` for ``epochs`` epochs and record losses, accuracies and rates.

    The scheduler is stepped after ``optimizer.step()`` (PyTorch's required order), once per
    batch or once per epoch; ``ReduceLROnPlateau`` is stepped per epoch with the validation
    loss. A non-finite loss ends the run early with ``History.stopped_nonfinite`` set.
    ``clip_grad_norm`` rescales every gradient whose norm (over all parameters) exceeds it
    (``torch.nn.utils.clip_grad_norm_``) before the step.

    The training loss of an epoch is the mean of its mini-batch losses, each measured before
    that batch's update: it describes the weights *during* the epoch, while the validation
    loss is measured with the weights at its end.

    ``measure_start=False`` skips measuring the losses before the first update (they stay
    NaN). Use it to continue a run, e.g. after resuming from a checkpoint: measuring reads the
    training loader once, which would move its shuffling on by one epoch.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if clip_grad_norm is not None and not (math.isfinite(clip_grad_norm) and clip_grad_norm > 0):
        raise ValueError(f"clip_grad_norm must be a positive finite number, got {clip_grad_norm!r}")
    if step_per not in ("epoch", "batch"):
        raise ValueError(f"step_per must be 'epoch' or 'batch', got {step_per!r}")
    plateau = isinstance(scheduler, ReduceLROnPlateau)
    if plateau and step_per == "batch":
        raise ValueError("ReduceLROnPlateau needs a validation loss: use step_per='epoch'")
    loss_fn = nn.CrossEntropyLoss()
    history = History(epochs_planned=epochs)
    if measure_start:
        history.initial_train_loss, _ = evaluate(model, train_loader, loss_fn)
        history.initial_val_loss, _ = evaluate(model, val_loader, loss_fn)
    for epoch in range(1, epochs + 1):
        model.train()
        total, correct, count = 0.0, 0, 0
        for X, y in train_loader:
            history.lr.append(float(optimizer.param_groups[0]["lr"]))
            optimizer.zero_grad()
            logits = model(X)
            loss = loss_fn(logits, y)
            value = loss.item()
            if not math.isfinite(value):
                total, count = value * len(y), len(y)
                history.stopped_nonfinite = True
                break
            loss.backward()
            if clip_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
            optimizer.step()
            if scheduler is not None and step_per == "batch":
                scheduler.step()
            total += value * len(y)
            correct += int((logits.argmax(1) == y).sum())
            count += len(y)
        history.train_loss.append(total / count)
        history.train_acc.append(correct / count)
        val_loss, val_acc = evaluate(model, val_loader, loss_fn)
        history.val_loss.append(val_loss)
        history.val_acc.append(val_acc)
        if history.stopped_nonfinite or not math.isfinite(val_loss):
            history.stopped_nonfinite = True
            if verbose:
                print(f"Stopped at epoch {epoch}/{epochs}: the loss became non-finite (diverged).")
            break
        if scheduler is not None and step_per == "epoch":
            if plateau:
                scheduler.step(val_loss)
            else:
                scheduler.step()
    return history


def make_optimizer(
    name: str, params: Any, lr: float, momentum: float = 0.0, weight_decay: float = 0.0
) -> Optimizer:
    """Build a named optimizer (``sgd``, ``adam``, ``adamw``, ``rmsprop``) with checks."""
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")
    if name not in _OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(_OPTIMIZERS)}")
    kwargs: dict[str, float] = {"lr": lr, "weight_decay": weight_decay}
    if name in ("sgd", "rmsprop"):
        kwargs["momentum"] = momentum
    elif momentum:
        raise ValueError(f"{name} has no momentum argument (it uses betas)")
    return _OPTIMIZERS[name](params, **kwargs)


@dataclass
class Experiment:
    """Everything one run trains with, built by :func:`build`; :meth:`train` can be called
    again to continue, and the model, optimizer and scheduler are there to inspect or save."""

    model: nn.Module
    optimizer: Optimizer
    scheduler: LRScheduler | ReduceLROnPlateau | None
    train_loader: DataLoader
    val_loader: DataLoader
    split: Split
    step_per: StepPer = "epoch"
    clip_grad_norm: float | None = None

    def train(self, epochs: int, verbose: bool = False, measure_start: bool = True) -> History:
        """Train for ``epochs`` more epochs (see :func:`train`)."""
        return train(self.model, self.optimizer, self.train_loader, self.val_loader, epochs,
                     self.scheduler, self.step_per, verbose, self.clip_grad_norm, measure_start)


def build(
    lr: float,
    *,
    dataset: str = "digits",
    hidden: tuple[int, ...] = (64,),
    optimizer: str = "sgd",
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    batch_size: int = 64,
    seed: int = 0,
    scheduler: SchedulerFactory | None = None,
    step_per: StepPer = "epoch",
    n_train: int | None = None,
    split: Split | None = None,
    clip_grad_norm: float | None = None,
) -> Experiment:
    """Seed everything and build the data, model, optimizer and scheduler of one run.

    ``scheduler`` is a function that receives the optimizer and returns a scheduler, e.g.
    ``lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)``.
    ``clip_grad_norm`` caps the gradient norm of every step (see :func:`train`).
    """
    if step_per not in ("epoch", "batch"):
        raise ValueError(f"step_per must be 'epoch' or 'batch', got {step_per!r}")
    seed_everything(seed)
    split = split if split is not None else load_split(dataset, seed=seed, n_train=n_train)
    train_loader, val_loader = make_loaders(split, batch_size=batch_size, seed=seed)
    model = mlp(split.n_features, split.n_classes, hidden)
    opt = make_optimizer(optimizer, model.parameters(), lr, momentum, weight_decay)
    sched = scheduler(opt) if scheduler is not None else None
    return Experiment(model, opt, sched, train_loader, val_loader, split, step_per, clip_grad_norm)


class RunOptions(TypedDict, total=False):
    """The keyword arguments :func:`run` passes on to :func:`build`."""

    dataset: str
    hidden: tuple[int, ...]
    optimizer: str
    momentum: float
    weight_decay: float
    batch_size: int
    seed: int
    scheduler: SchedulerFactory | None
    step_per: StepPer
    n_train: int | None
    split: Split | None
    clip_grad_norm: float | None


def run(lr: float, *, epochs: int = 20, verbose: bool = True, **options: Unpack[RunOptions]) -> History:
    """One seeded experiment in one call: :func:`build` it (``options`` as there: dataset,
    model, optimizer, schedule, …), then train it for ``epochs`` epochs."""
    return build(lr, **options).train(epochs, verbose)
