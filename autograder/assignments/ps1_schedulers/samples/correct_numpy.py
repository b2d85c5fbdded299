# variant-of: correct
# A correct variant: numpy throughout, numpy scalars returned as they are.
# %% answer: step_decay_answer
def step_decay(step, base_lr, step_size, gamma):
    if np.any(np.array([step < 0, step_size <= 0, base_lr < 0, gamma <= 0])):
        raise ValueError("invalid arguments")
    return base_lr * np.power(gamma, np.floor(step / step_size))
# %% answer: exponential_decay_answer
def exponential_decay(step, base_lr, gamma):
    if step < 0 or base_lr < 0 or gamma <= 0:
        raise ValueError("invalid arguments")
    return np.float64(base_lr) * np.float64(gamma) ** step
# %% answer: cosine_annealing_answer
def cosine_annealing(step, total_steps, base_lr, min_lr=0.0):
    if step < 0 or total_steps <= 0 or base_lr < 0 or not 0 <= min_lr <= base_lr:
        raise ValueError("invalid arguments")
    t = np.clip(step, 0, total_steps) / total_steps
    return min_lr + (base_lr - min_lr) * (1 + np.cos(np.pi * t)) / 2
# %% answer: warmup_cosine_answer
def warmup_cosine(step, warmup_steps, total_steps, base_lr, min_lr=0.0):
    if step < 0 or total_steps <= 0 or not 0 <= warmup_steps <= total_steps:
        raise ValueError("invalid steps")
    if base_lr < 0 or not 0 <= min_lr <= base_lr:
        raise ValueError("invalid rates")
    warm = np.float64(base_lr) * (0.1 + 0.9 * step / max(warmup_steps, 1))
    progress = np.clip((step - warmup_steps) / max(1, total_steps - warmup_steps), 0.0, 1.0)
    cosine = min_lr + (base_lr - min_lr) * 0.5 * (1 + np.cos(np.pi * progress))
    return np.where(step < warmup_steps, warm, cosine).item()
# %% answer: max_stable_lr_answer
def max_stable_lr(curvature):
    if curvature <= 0:
        raise ValueError("curvature must be positive")
    return np.float64(2.0) / curvature
# %% answer: gd_regime_answer
def gd_regime(lr, curvature):
    product = np.float64(lr) * curvature
    return str(np.select([product <= 1, product <= 2], ["monotone", "oscillating"], "diverging"))
# %% answer: warmup_cosine_lr_answer
class WarmupCosineLR(LRScheduler):
    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, last_epoch=-1):
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.min_lr = min_lr
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        k, w, t = self.last_epoch, self.warmup_steps, self.total_steps
        bases = np.array(self.base_lrs, dtype=np.float64)
        if k < w:
            rates = bases * (0.1 + 0.9 * k / w)
        else:
            progress = min(1.0, (k - w) / max(1, t - w))
            rates = self.min_lr + (bases - self.min_lr) * (1 + np.cos(np.pi * progress)) / 2
        return [float(r) for r in rates]
