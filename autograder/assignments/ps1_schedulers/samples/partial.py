# variant-of: correct
# A typical part-way submission for the demo class: the decays are right, the cosine is
# not clamped, the warm-up is one step ahead, the stability answer is missing, the class keeps
# one group only; the applied settings are fine.
# %% answer: cosine_annealing_answer
def cosine_annealing(step, total_steps, base_lr, min_lr=0.0):
    if step < 0 or total_steps <= 0 or base_lr < 0 or not 0 <= min_lr <= base_lr:
        raise ValueError("invalid arguments")
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * step / total_steps)) / 2
# %% answer: warmup_cosine_answer
def warmup_cosine(step, warmup_steps, total_steps, base_lr, min_lr=0.0):
    if step < 0 or total_steps <= 0 or not 0 <= warmup_steps <= total_steps:
        raise ValueError("invalid steps")
    if base_lr < 0 or not 0 <= min_lr <= base_lr:
        raise ValueError("invalid rates")
    if step < warmup_steps:
        return base_lr * (0.1 + 0.9 * (step + 1) / warmup_steps)
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2
# %% answer: max_stable_lr_answer
# YOUR CODE HERE
raise NotImplementedError()
# %% answer: warmup_cosine_lr_answer
class WarmupCosineLR(LRScheduler):
    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, last_epoch=-1):
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.min_lr = min_lr
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lr = warmup_cosine(self.last_epoch, self.warmup_steps, self.total_steps, self.base_lrs[0], self.min_lr)
        return [lr] * len(self.base_lrs)
