"""ps3_tuning: find the rate with a range test, design a schedule, tune in a loop — judged on
held-out problems (``data.json`` and README.md here)."""
from autograder.assignments import Assignment
from autograder.assignments.ps3_tuning.checks import CHECKS
from autograder.assignments.ps3_tuning.harness import HARNESS

ASSIGNMENT = Assignment(
    name="ps3_tuning",
    checks=CHECKS,
    manual_points={"written_answer": 15},
    trusted_imports=("torch.optim.lr_scheduler", "torch._dynamo", "lrlab.range_test"),
    harness=HARNESS,
)
