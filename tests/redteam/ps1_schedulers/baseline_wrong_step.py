# variant-of: correct
# The honest baseline most attacks are compared with: a step_decay that never decays.
# %% answer: step_decay_answer
def step_decay(step, base_lr, step_size, gamma):
    if step < 0 or step_size <= 0 or base_lr < 0 or gamma <= 0:
        raise ValueError("invalid arguments")
    return float(base_lr)  # WRONG: never decays
