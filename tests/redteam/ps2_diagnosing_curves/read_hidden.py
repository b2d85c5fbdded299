# variant-of: baseline_raises
# Family 4: read hidden material with the shared code of tests/redteam/attacks/read_hidden.py
# ({ATTACK}); here the loot also goes into the figure answers and a load error.
# %% answer: next_lr_answer
{ATTACK}


def next_lr(lr, label):
    raise ValueError(SECRET)
# %% answer: figures_answer
ANSWERS = {"figure_a": SECRET, "figure_b": SECRET, "figure_c": SECRET, "figure_d": SECRET, "figure_e": SECRET}  # noqa: F821
raise RuntimeError(SECRET)  # noqa: F821  (a load error quoting the loot)
