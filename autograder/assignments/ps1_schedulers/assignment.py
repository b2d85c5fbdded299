"""ps1_schedulers: learning-rate schedules by hand, the stability bound, a scheduler class, and
the class applied to a real training run (README.md's lecture list says where it sits)."""
from autograder.assignments import Assignment
from autograder.assignments.ps1_schedulers.checks import CHECKS
from autograder.assignments.ps1_schedulers.harness import HARNESS

ASSIGNMENT = Assignment(
    name="ps1_schedulers",
    checks=CHECKS,
    manual_points={"warmup_written": 10},
    # The references' first torch.optim optimizer imports dynamo (seconds).
    trusted_imports=("torch.optim.lr_scheduler", "torch._dynamo"),
    harness=HARNESS,
    case_seed=1,  # every student's hidden random cases (Assignment.seed_for)
)
