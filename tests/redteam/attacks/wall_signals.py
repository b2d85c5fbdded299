# variant-of: {BASE}
# Issue 26: SIGINT, SIGTERM and SIGHUP to pid 1 (the sandbox server, where children share
# its PID namespace), to the parent and to every process it may signal (kill -1). The answers
# are the honest ones: nobody else may lose anything and the run goes on.
# %% answer: {CELL}
import os as _os
import signal as _signal

for _sig in (_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP):
    for _target in (1, _os.getppid(), -1):
        if _target:
            try:
                _os.kill(_target, _sig)
            except OSError:
                pass
{PARENT}
