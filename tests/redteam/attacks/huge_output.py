# Family 7: enormous output on stdout and stderr while the answers load. The shared part:
# tests/redteam/<assignment>/huge_output.py put it into an answer cell ({ATTACK}) and add an
# enormous return value or answer of their own.
# %% answer: {CELL}
import sys

_line = "x" * 1_000_000
for _ in range(300):
    print(_line)
    print(_line, file=sys.stderr)
