# variant-of: correct
# %% answer: warmup_cosine_answer
def warmup_cosine(step, warmup_steps, total_steps, base_lr, min_lr=0.0):
    if step < 0 or total_steps <= 0 or not 0 <= warmup_steps <= total_steps:
        raise ValueError("invalid steps")
    if base_lr < 0 or not 0 <= min_lr <= base_lr:
        raise ValueError("invalid rates")
    if step < warmup_steps:
        return base_lr * (0.1 + 0.9 * step / max(1, warmup_steps - 1))  # WRONG: reaches base_lr one step early
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2
