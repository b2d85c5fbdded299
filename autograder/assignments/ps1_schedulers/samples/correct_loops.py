# variant-of: correct
# A correct variant: loops instead of closed forms, plain if/else validation.
# %% answer: step_decay_answer
def step_decay(step, base_lr, step_size, gamma):
    if step < 0 or step_size <= 0 or base_lr < 0 or gamma <= 0:
        raise ValueError("invalid arguments")
    lr = base_lr
    for boundary in range(step_size, step + 1, step_size):
        lr *= gamma
    return lr
# %% answer: exponential_decay_answer
def exponential_decay(step, base_lr, gamma):
    if step < 0 or base_lr < 0 or gamma <= 0:
        raise ValueError("invalid arguments")
    lr = float(base_lr)
    for _ in range(step):
        lr *= gamma
    return lr
# %% answer: cosine_annealing_answer
def cosine_annealing(step, total_steps, base_lr, min_lr=0.0):
    if step < 0 or total_steps <= 0 or base_lr < 0 or min_lr < 0 or min_lr > base_lr:
        raise ValueError("invalid arguments")
    if step >= total_steps:
        return float(min_lr)
    return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + math.cos(math.pi * step / total_steps))
# %% answer: warmup_cosine_answer
def warmup_cosine(step, warmup_steps, total_steps, base_lr, min_lr=0.0):
    if warmup_steps < 0 or warmup_steps > total_steps:
        raise ValueError("warmup_steps must be in [0, total_steps]")
    if step < 0 or total_steps <= 0 or base_lr < 0 or not 0 <= min_lr <= base_lr:
        raise ValueError("invalid arguments")
    if step < warmup_steps:
        return base_lr * (0.1 + 0.9 * step / warmup_steps)
    # reuse the cosine from the previous answer, shifted by the warm-up
    span = max(1, total_steps - warmup_steps)
    return cosine_annealing(min(step - warmup_steps, span), span, base_lr, min_lr)
# %% answer: max_stable_lr_answer
def max_stable_lr(curvature):
    if not curvature > 0:
        raise ValueError("curvature must be positive")
    return 2 / curvature
# %% answer: gd_regime_answer
def gd_regime(lr, curvature):
    if lr * curvature > 2:
        return "diverging"
    elif lr * curvature > 1:
        return "oscillating"
    else:
        return "monotone"
# %% answer: warmup_cosine_lr_answer
class WarmupCosineLR(LRScheduler):
    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, last_epoch=-1):
        if not 0 <= warmup_steps <= total_steps:
            raise ValueError("warmup_steps must be in [0, total_steps]")
        self.warmup_steps, self.total_steps, self.min_lr = warmup_steps, total_steps, min_lr
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        k = self.last_epoch
        rates = []
        for base_lr in self.base_lrs:
            if k < self.warmup_steps:
                rates.append(base_lr * (0.1 + 0.9 * k / self.warmup_steps))
            else:
                span = max(1, self.total_steps - self.warmup_steps)
                progress = min(1.0, (k - self.warmup_steps) / span)
                rates.append(self.min_lr + (base_lr - self.min_lr) * (1 + math.cos(math.pi * progress)) / 2)
        return rates
# %% answer: applied_answer
APPLIED = {"optimizer": "sgd", "lr": 0.3, "momentum": 0.0, "warmup_steps": STEPS_PER_EPOCH // 3, "min_lr": 0.03}
