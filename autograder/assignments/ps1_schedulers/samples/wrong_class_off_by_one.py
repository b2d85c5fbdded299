# variant-of: correct
# %% answer: warmup_cosine_lr_answer
class WarmupCosineLR(LRScheduler):
    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, last_epoch=-1):
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.min_lr = min_lr
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        # WRONG: _step_count counts calls of step() including the one in __init__: one ahead
        return [
            warmup_cosine(self._step_count, self.warmup_steps, self.total_steps, base_lr, self.min_lr)
            for base_lr in self.base_lrs
        ]
