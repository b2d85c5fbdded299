# variant-of: correct
# WRONG: rejects gamma > 1, which the notebook allows (the rate then grows).
# %% answer: exponential_decay_answer
def exponential_decay(step, base_lr, gamma):
    if step < 0 or base_lr < 0 or not 0 < gamma <= 1:
        raise ValueError("invalid arguments")
    return float(base_lr * gamma**step)
