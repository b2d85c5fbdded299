# variant-of: {BASE}
# Issue 26: a double-forked leftover in a session of its own (setsid) that SIGKILLs every
# process it can see but itself, for 8 s: other students' children, one being set up, the
# sandbox. The answers are the honest ones: the attacker gains nothing, and nobody else may
# lose anything.
# %% answer: {CELL}
import ctypes as _ctypes
import os as _os
import time as _time


def _leftover():
    if _os.fork():
        return
    try:
        _os.setsid()
    except OSError:
        pass
    if _os.fork():
        _os._exit(0)
    _ctypes.CDLL(None).prctl(15, b"lrlab-killer", 0, 0, 0)  # PR_SET_NAME: findable from outside
    me, end = _os.getpid(), _time.monotonic() + 8
    while _time.monotonic() < end:
        for name in _os.listdir("/proc"):
            if name.isdigit() and int(name) != me:
                try:
                    _os.kill(int(name), 9)
                except OSError:
                    pass
        _time.sleep(0.005)
    _os._exit(0)


_leftover()
{PARENT}
