# variant-of: {BASE}
# Family 6: a segfault inside a graded call, with signals ignored.
# %% answer: {CELL}
import ctypes
import os
import signal

for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGHUP, signal.SIGUSR1):
    try:
        signal.signal(_sig, signal.SIG_IGN)
    except Exception:
        pass


{DEF}
    ctypes.string_at(0)  # SIGSEGV
