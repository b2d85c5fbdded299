"""ps3_tuning: find the rate with a range test, design a schedule, tune in a loop — judged on
held-out problems and seeds (``data.json``, ``part2.py`` and README.md here).

What Part 1's answers may not use (the notebook lists it): lrlab's own range test, the module
``lrlab.range_test`` — by import or attribute access (``checks.FORBIDDEN_LRLAB``, found in the
source), and at run time through its ``range_test`` and the class every run of it builds its
result with (``harness.TRIPWIRES``: every sandboxed child records which answer cells ran them).
"""
from autograder.assignments import Assignment
from autograder.assignments.ps3_tuning.checks import CHECKS
from autograder.assignments.ps3_tuning.harness import HARNESS
from autograder.assignments.ps3_tuning.heldout import held_out

ASSIGNMENT = Assignment(
    name="ps3_tuning",
    checks=CHECKS,
    manual_points={"written_answer": 15},
    trusted_imports=("torch.optim.lr_scheduler", "torch._dynamo"),
    harness=HARNESS,
    held_out=held_out,
)
