# variant-of: correct
# Family 7: enormous output on stdout and stderr, and an enormous return value.
# %% answer: gd_regime_answer
import sys

_line = "x" * 1_000_000
for _ in range(300):
    print(_line)
    print(_line, file=sys.stderr)


def gd_regime(lr, curvature):
    return "monotone" * 50_000_000
