"""ps2_diagnosing_curves: label real loss curves by the fix that works, and say what to do next.

The held-out curves its checks use are this folder's curve bank (``bank.json``, README.md)."""
from autograder.assignments import Assignment
from autograder.assignments.ps2_diagnosing_curves.bank import held_out
from autograder.assignments.ps2_diagnosing_curves.checks import CHECKS
from autograder.assignments.ps2_diagnosing_curves.harness import HARNESS

ASSIGNMENT = Assignment(
    name="ps2_diagnosing_curves",
    checks=CHECKS,
    manual_points={"written_answer": 10},
    harness=HARNESS,  # the checks are plain Python: no trusted imports
    held_out=held_out,
    case_seed=1,  # every student's hidden random cases (Assignment.seed_for)
)
