# variant-of: correct
# WRONG: both cosines anneal to 0 whatever min_lr says.
# %% answer: cosine_annealing_answer
def cosine_annealing(step, total_steps, base_lr, min_lr=0.0):
    if step < 0 or total_steps <= 0 or base_lr < 0 or not 0 <= min_lr <= base_lr:
        raise ValueError("invalid arguments")
    progress = min(step, total_steps) / total_steps
    return base_lr * (1 + math.cos(math.pi * progress)) / 2
# %% answer: warmup_cosine_answer
def warmup_cosine(step, warmup_steps, total_steps, base_lr, min_lr=0.0):
    if step < 0 or total_steps <= 0 or not 0 <= warmup_steps <= total_steps:
        raise ValueError("invalid steps")
    if base_lr < 0 or not 0 <= min_lr <= base_lr:
        raise ValueError("invalid rates")
    if step < warmup_steps:
        return base_lr * (0.1 + 0.9 * step / warmup_steps)
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return base_lr * (1 + math.cos(math.pi * progress)) / 2
