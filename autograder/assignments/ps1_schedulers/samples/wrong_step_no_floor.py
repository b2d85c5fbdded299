# variant-of: correct
# %% answer: step_decay_answer
def step_decay(step, base_lr, step_size, gamma):
    if step < 0 or step_size <= 0 or base_lr < 0 or gamma <= 0:
        raise ValueError("invalid arguments")
    return base_lr * gamma ** (step / step_size)  # WRONG: no floor, decays smoothly
