# variant-of: correct
# A schedule that is slow to evaluate: the correct rates, but each one takes 50 ms (the budget's
# rates would take several seconds). The grader stops asking after a second and gives 0.
# %% answer: schedule_answer
import time

{PARENT}
_fast_schedule = schedule


def schedule(step):
    time.sleep(0.05)
    return _fast_schedule(step)
