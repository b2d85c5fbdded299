# variant-of: correct
# Honest equivalent of lying_objects: the plain values those objects really hold.
# %% answer: step_decay_answer
def step_decay(step, base_lr, step_size, gamma):
    if step < 0 or step_size <= 0 or base_lr < 0 or gamma <= 0:
        raise ValueError("invalid arguments")
    return 0.0
# %% answer: exponential_decay_answer
def exponential_decay(step, base_lr, gamma):
    return float("nan")
# %% answer: cosine_annealing_answer
def cosine_annealing(step, total_steps, base_lr, min_lr=0.0):
    return None
# %% answer: gd_regime_answer
def gd_regime(lr, curvature):
    return None
# %% answer: max_stable_lr_answer
def max_stable_lr(curvature):
    return True
