# variant-of: correct
# Family 7: enormous output on stdout and stderr, and an enormous return value.
# %% answer: figures_answer
{ATTACK}


def _unused(lr, curvature):
    return "x" * 50_000_000


ANSWERS = {"figure_a": "overfitting" * 10_000_000}
