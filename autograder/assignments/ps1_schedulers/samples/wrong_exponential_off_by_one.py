# variant-of: correct
# %% answer: exponential_decay_answer
def exponential_decay(step, base_lr, gamma):
    if step < 0 or base_lr < 0 or gamma <= 0:
        raise ValueError("invalid arguments")
    return base_lr * gamma ** (step + 1)  # WRONG: already decayed at step 0
