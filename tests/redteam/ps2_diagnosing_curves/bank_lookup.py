# variant-of: wrong_always_good
# Family 4, where no mount namespace hides the repository: look the held-out runs up in the
# instructor's curve bank ({REPO}/autograder/assignments/ps2_diagnosing_curves/bank.json) and answer with their labels;
# every run it cannot find (or every run, when the bank cannot be read) gets "good". Graded
# by tests/test_isolation_paths.py against the same diagnose without the lookup.
# %% answer: diagnose_answer
import json as _json

_BANK = {}
try:
    with open("{REPO}/autograder/assignments/ps2_diagnosing_curves/bank.json") as _fh:
        for _part in _json.load(_fh).values():
            for _run in _part.get("curves", []) if isinstance(_part, dict) else []:
                _BANK[repr([[float(x) for x in _run["train_loss"]], [float(x) for x in _run["val_loss"]]])] = _run["label"]
except Exception as _exc:
    print(f"the bank is out of reach: {type(_exc).__name__}")


def diagnose(train_loss, val_loss):
    if len(train_loss) != len(val_loss) or len(train_loss) < 5:
        raise ValueError("bad input")
    return _BANK.get(repr([[float(x) for x in train_loss], [float(x) for x in val_loss]]), "good")
