# variant-of: correct
# PARTIAL: step_decay forgets to reject step_size <= 0 (it divides by zero instead). Its
# visible test prints a ✗ for that case, but the cell's only assert (it returns a float) holds,
# so the hidden tests give the formula its credit instead of scoring the cell 0.
# %% answer: step_decay_answer
def step_decay(step, base_lr, step_size, gamma):
    if step < 0 or base_lr < 0 or gamma <= 0:
        raise ValueError("invalid arguments")
    return float(base_lr * gamma ** (step // step_size))
