# variant-of: correct
# %% answer: applied_answer
APPLIED = {"optimizer": "sgd", "lr": 0.05, "momentum": 0.0, "warmup_steps": 10, "min_lr": 0.0}  # WRONG: far too slow
