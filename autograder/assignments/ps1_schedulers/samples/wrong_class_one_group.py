# variant-of: correct
# %% answer: warmup_cosine_lr_answer
class WarmupCosineLR(LRScheduler):
    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, last_epoch=-1):
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.min_lr = min_lr
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        # WRONG: every group follows the first group's rate
        lr = warmup_cosine(self.last_epoch, self.warmup_steps, self.total_steps, self.base_lrs[0], self.min_lr)
        return [lr for _ in self.optimizer.param_groups]
