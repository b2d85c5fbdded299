# variant-of: baseline_wrong
# Family 6: a segfault inside a graded call, signals ignored, and a fork from diagnose that
# keeps running after the call (it must not survive the submission).
# %% answer: next_lr_answer
import ctypes
import signal

for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGHUP, signal.SIGUSR1):
    try:
        signal.signal(_sig, signal.SIG_IGN)
    except Exception:
        pass


def next_lr(lr, label):
    ctypes.string_at(0)  # SIGSEGV
