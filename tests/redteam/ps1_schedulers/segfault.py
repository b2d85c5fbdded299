# variant-of: baseline_wrong_step
# Family 6: a segfault inside a graded call, signals ignored, a fork that keeps running.
# %% answer: step_decay_answer
import ctypes
import os
import signal

for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGHUP, signal.SIGUSR1):
    try:
        signal.signal(_sig, signal.SIG_IGN)
    except Exception:
        pass


def step_decay(step, base_lr, step_size, gamma):
    ctypes.string_at(0)  # SIGSEGV
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
