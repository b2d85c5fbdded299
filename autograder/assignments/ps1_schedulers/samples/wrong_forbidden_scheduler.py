# variant-of: correct
# WRONG: numerically right, but step_decay and the class are built from PyTorch's own
# schedulers (forbidden). Only those two checks are voided: Part 3's class uses LambdaLR, yet
# Part 4 (whose own answer is just the APPLIED dict) keeps its points.
# %% answer: step_decay_answer
def step_decay(step, base_lr, step_size, gamma):
    from torch.optim.lr_scheduler import StepLR

    if step < 0 or step_size <= 0 or base_lr < 0 or gamma <= 0:
        raise ValueError("invalid arguments")
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    scheduler = StepLR(optimizer, step_size=step_size, gamma=gamma)
    scheduler.last_epoch = step
    return float(scheduler._get_closed_form_lr()[0])
# %% answer: warmup_cosine_lr_answer
class WarmupCosineLR(torch.optim.lr_scheduler.LambdaLR):
    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, last_epoch=-1):
        self.warmup_steps, self.total_steps, self.min_lr = warmup_steps, total_steps, min_lr
        bases = [group["lr"] for group in optimizer.param_groups]
        factors = [
            (lambda k, b=b: warmup_cosine(k, warmup_steps, total_steps, b, min_lr) / b) for b in bases
        ]
        super().__init__(optimizer, factors, last_epoch)
