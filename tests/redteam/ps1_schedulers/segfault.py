# variant-of: baseline_wrong_step
# Family 6: the shared segfault attack (tests/redteam/attacks/segfault.py), plus a fork that
# keeps running after the call (it must not survive the submission).
# %% answer: step_decay_answer
{ATTACK}
# %% answer: exponential_decay_answer
import os as _os
import time as _time


_FORKED = []


def exponential_decay(step, base_lr, gamma):
    if step < 0 or base_lr < 0 or gamma <= 0:
        raise ValueError("invalid arguments")
    if not _FORKED:  # one child that outlives the call unless the whole group is killed
        _FORKED.append(1)
        if _os.fork() == 0:
            _time.sleep(600)
            _os._exit(0)
    return float(base_lr * gamma**step)
