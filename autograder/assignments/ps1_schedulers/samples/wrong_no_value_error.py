# variant-of: correct
# WRONG: the formulas are right but nothing validates its arguments.
# %% answer: step_decay_answer
def step_decay(step, base_lr, step_size, gamma):
    return base_lr * gamma ** (step // step_size)
# %% answer: exponential_decay_answer
def exponential_decay(step, base_lr, gamma):
    return base_lr * gamma**step
# %% answer: cosine_annealing_answer
def cosine_annealing(step, total_steps, base_lr, min_lr=0.0):
    progress = min(step, total_steps) / total_steps
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2
# %% answer: warmup_cosine_answer
def warmup_cosine(step, warmup_steps, total_steps, base_lr, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (0.1 + 0.9 * step / warmup_steps)
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2
# %% answer: max_stable_lr_answer
def max_stable_lr(curvature):
    return 2.0 / curvature
