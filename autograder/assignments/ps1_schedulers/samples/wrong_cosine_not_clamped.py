# variant-of: correct
# %% answer: cosine_annealing_answer
def cosine_annealing(step, total_steps, base_lr, min_lr=0.0):
    if step < 0 or total_steps <= 0 or base_lr < 0 or not 0 <= min_lr <= base_lr:
        raise ValueError("invalid arguments")
    # WRONG: no min(step, total_steps): rises again after total_steps, like PyTorch's
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * step / total_steps)) / 2
