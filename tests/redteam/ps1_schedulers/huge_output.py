# variant-of: correct
# Family 7: enormous output on stdout and stderr, and an enormous return value.
# %% answer: gd_regime_answer
{ATTACK}


def gd_regime(lr, curvature):
    return "monotone" * 50_000_000
