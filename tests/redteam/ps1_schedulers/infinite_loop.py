# variant-of: correct
# Family 7: an infinite loop while the answers load (ignoring SIGTERM).
# %% answer: gd_regime_answer
import signal

signal.signal(signal.SIGTERM, signal.SIG_IGN)
while True:
    pass
