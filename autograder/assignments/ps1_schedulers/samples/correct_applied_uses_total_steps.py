# variant-of: correct
# Correct: APPLIED uses TOTAL_STEPS from Part 4's budget cell, which is part of the setup,
# so the sealed grader knows it too (it used to fail there with a NameError).
# %% answer: applied_answer
APPLIED = {
    "optimizer": "sgd",
    "lr": 0.3,
    "momentum": 0.0,
    "warmup_steps": TOTAL_STEPS // 10,
    "min_lr": 0.03,
}
