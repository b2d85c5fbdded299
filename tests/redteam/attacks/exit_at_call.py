# variant-of: {BASE}
# Family 6: end the process from inside a graded call (os._exit), kill the parent and the
# process group, and — only when not root — every process of this uid.
# %% answer: {CELL}
import os
import signal


{DEF}
    try:
        os.kill(os.getppid(), signal.SIGKILL)
    except Exception:
        pass
    try:
        os.killpg(os.getpgid(0), signal.SIGKILL)
    except Exception:
        pass
    if os.getuid() != 0:
        try:
            os.kill(-1, signal.SIGKILL)
        except Exception:
            pass
    os._exit(3)
