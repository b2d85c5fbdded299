# variant-of: correct
# Honest: prints, warns (stdout and stderr), uses numpy, and is slow (but within limits).
# %% answer: step_decay_answer
import sys
import time
import warnings

import numpy as np

print("defining step_decay")
print("a note on stderr", file=sys.stderr)
warnings.warn("this is only a warning")
time.sleep(0.5)


def step_decay(step, base_lr, step_size, gamma):
    if step < 0 or step_size <= 0 or base_lr < 0 or gamma <= 0:
        raise ValueError("invalid arguments")
    warnings.warn("step_decay called")
    print("step", step)
    return np.float64(base_lr) * np.power(gamma, step // step_size)
