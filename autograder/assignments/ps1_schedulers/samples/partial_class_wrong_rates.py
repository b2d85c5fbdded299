# variant-of: correct
# PARTIAL: the scheduler mechanics are right (LRScheduler subclass, every group, param_group,
# no warnings, closed form so it resumes), but it forgets the warm-up: plain cosine from
# step 0. Part 3 credits each property on its own, so only the rates lose points.
# %% answer: warmup_cosine_lr_answer
class WarmupCosineLR(LRScheduler):
    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, last_epoch=-1):
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.min_lr = min_lr
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        # WRONG: no warm-up
        return [cosine_annealing(self.last_epoch, self.total_steps, base_lr, self.min_lr) for base_lr in self.base_lrs]
