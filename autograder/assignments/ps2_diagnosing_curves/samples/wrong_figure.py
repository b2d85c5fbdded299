# variant-of: correct
# Wrong: calls the lecture-6 self-check figure "diverging" (it bounces but never blows up).
# %% answer: figures_answer
ANSWERS = {
    "figure_a": "overfitting",
    "figure_b": "too_slow",
    "figure_c": "diverging",
    "figure_d": "good",
    "figure_e": "diverging",
}
