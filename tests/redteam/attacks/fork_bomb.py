# variant-of: {BASE}
# Family 7: a fork bomb (bounded, so a broken sandbox cannot take the machine down: at most
# 2^9 processes, each sleeping) while the answers load.
# %% answer: {CELL}
import os
import time

for _ in range(9):
    try:
        os.fork()
    except OSError:
        break
time.sleep(600)
