# variant-of: correct
# Family 7: enormous output on stdout and stderr, and an enormous return value.
# %% answer: figures_answer
import sys

_line = "x" * 1_000_000
for _ in range(300):
    print(_line)
    print(_line, file=sys.stderr)


def _unused(lr, curvature):
    return "x" * 50_000_000


ANSWERS = {"figure_a": "overfitting" * 10_000_000}
