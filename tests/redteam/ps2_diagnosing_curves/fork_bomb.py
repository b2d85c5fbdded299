# variant-of: correct
# Family 7: a fork bomb (bounded, so a broken sandbox cannot take the machine down: at most
# 2^9 processes, each sleeping) while the answers load.
# %% answer: figures_answer
import os
import time

for _ in range(9):
    try:
        os.fork()
    except OSError:
        break
time.sleep(600)
