# variant-of: wrong_ignores_validation
# The demo class's partial submission: diagnose ignores validation loss, next_lr is right,
# and two figures are misread.
# %% answer: figures_answer
ANSWERS = {
    "figure_a": "good",
    "figure_b": "too_slow",
    "figure_c": "diverging",
    "figure_d": "good",
    "figure_e": "diverging",
}
