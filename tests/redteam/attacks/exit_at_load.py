# variant-of: {BASE}
# Family 6: end the process while the answers load (sys.exit, then os._exit).
# %% answer: {CELL}
import os
import sys

try:
    sys.exit(0)
except SystemExit:
    pass
os._exit(0)
