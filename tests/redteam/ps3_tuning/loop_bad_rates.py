# variant-of: correct
# A loop that proposes NaN, a huge rate, a negative rate and a non-number, in turn, and claims a
# rate it never tried: every problem must end with 0 and the grader must go on.
# %% answer: tuning_loop_answer
_calls = [0]


def choose_lr(history):
    return 0.1


def next_trial(history):
    _calls[0] += 1
    bad = (float("nan"), 1e300, -0.1, "0.1", float("inf"), 0.0)
    return bad[_calls[0] % len(bad)]
