# variant-of: {BASE}
# Family 7: an infinite loop while the answers load (ignoring SIGTERM).
# %% answer: {CELL}
import signal

signal.signal(signal.SIGTERM, signal.SIG_IGN)
while True:
    pass
