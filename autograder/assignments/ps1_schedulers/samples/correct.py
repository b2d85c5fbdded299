# %% answer: step_decay_answer
def step_decay(step, base_lr, step_size, gamma):
    """base_lr · gamma^⌊step / step_size⌋ (PyTorch's StepLR)."""
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    if step_size <= 0:
        raise ValueError(f"step_size must be > 0, got {step_size}")
    if base_lr < 0:
        raise ValueError(f"base_lr must be >= 0, got {base_lr}")
    if gamma <= 0:
        raise ValueError(f"gamma must be > 0, got {gamma}")
    return float(base_lr * gamma ** (step // step_size))
# %% answer: exponential_decay_answer
def exponential_decay(step, base_lr, gamma):
    """base_lr · gamma^step (PyTorch's ExponentialLR)."""
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    if base_lr < 0:
        raise ValueError(f"base_lr must be >= 0, got {base_lr}")
    if gamma <= 0:
        raise ValueError(f"gamma must be > 0, got {gamma}")
    return float(base_lr * gamma**step)
# %% answer: cosine_annealing_answer
def cosine_annealing(step, total_steps, base_lr, min_lr=0.0):
    """Half a cosine from base_lr (step 0) to min_lr (step total_steps), then min_lr."""
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    if total_steps <= 0:
        raise ValueError(f"total_steps must be > 0, got {total_steps}")
    if base_lr < 0:
        raise ValueError(f"base_lr must be >= 0, got {base_lr}")
    if not 0 <= min_lr <= base_lr:
        raise ValueError(f"min_lr must be in [0, base_lr], got {min_lr}")
    progress = min(step, total_steps) / total_steps
    return float(min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2)
# %% answer: warmup_cosine_answer
def warmup_cosine(step, warmup_steps, total_steps, base_lr, min_lr=0.0):
    """Linear warm-up from 10 % of base_lr to base_lr over warmup_steps, then cosine down to min_lr."""
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    if total_steps <= 0:
        raise ValueError(f"total_steps must be > 0, got {total_steps}")
    if not 0 <= warmup_steps <= total_steps:
        raise ValueError(f"warmup_steps must be in [0, total_steps], got {warmup_steps}")
    if base_lr < 0:
        raise ValueError(f"base_lr must be >= 0, got {base_lr}")
    if not 0 <= min_lr <= base_lr:
        raise ValueError(f"min_lr must be in [0, base_lr], got {min_lr}")
    if step < warmup_steps:
        return float(base_lr * (0.1 + 0.9 * step / warmup_steps))
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return float(min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2)
# %% answer: max_stable_lr_answer
def max_stable_lr(curvature):
    """Largest stable rate of gradient descent on f(x) = curvature/2 · x²."""
    if curvature <= 0:
        raise ValueError(f"curvature must be > 0, got {curvature}")
    return 2.0 / curvature
# %% answer: gd_regime_answer
def gd_regime(lr, curvature):
    """How gradient descent behaves: x ← (1 − lr·curvature)·x."""
    product = lr * curvature
    if product <= 1:
        return "monotone"
    if product <= 2:
        return "oscillating"
    return "diverging"
# %% answer: warmup_cosine_lr_answer
class WarmupCosineLR(LRScheduler):
    """Linear warm-up then cosine annealing, per param group, stepped once per batch."""

    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, last_epoch=-1):
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.min_lr = min_lr
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        # Closed form from base_lrs and last_epoch: nothing else to save or restore.
        return [
            warmup_cosine(self.last_epoch, self.warmup_steps, self.total_steps, base_lr, self.min_lr)
            for base_lr in self.base_lrs
        ]
# %% answer: applied_answer
APPLIED = {
    "optimizer": "sgd",
    "lr": 0.3,
    "momentum": 0.0,
    "warmup_steps": 112,
    "min_lr": 0.03,
}
