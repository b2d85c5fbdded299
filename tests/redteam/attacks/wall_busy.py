# variant-of: {BASE}
# Issue 26: 62 forked busy loops, each in a session of its own (setsid), for 6 s. The answers
# are the honest ones: the loops may slow the attacker down, never another student (no
# timeout, no other score).
# %% answer: {CELL}
import ctypes as _ctypes
import os as _os
import time as _time

for _ in range(62):
    try:
        _pid = _os.fork()
    except OSError:
        break
    if _pid == 0:
        try:
            _os.setsid()
        except OSError:
            pass
        _ctypes.CDLL(None).prctl(15, b"lrlab-busy", 0, 0, 0)
        _end = _time.monotonic() + 6
        while _time.monotonic() < _end:
            pass
        _os._exit(0)
{PARENT}
