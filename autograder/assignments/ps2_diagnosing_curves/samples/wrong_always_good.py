# variant-of: correct
# Wrong: validates its input but always answers "good".
# %% answer: diagnose_answer
def diagnose(train_loss, val_loss):
    if len(train_loss) != len(val_loss) or len(train_loss) < 5:
        raise ValueError("bad input")
    return "good"
