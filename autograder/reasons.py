"""Why a submission (or one check of it) was not graded: one enum, one table of student texts.

Every layer speaks :class:`Reason`: the sandbox (:class:`~autograder.checks.base.StudentUnavailable`,
:class:`~autograder.sandbox.ExecResult`), the scorer (a check's ``reason``), the outcome
record and the gradebook, the feedback page and the report. Nothing downstream looks at a
message's words; the sentences students read come from :data:`STUDENT_TEXT` only.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    """A failure reason; the value is what the outcome record stores."""

    NOT_A_NOTEBOOK = "not_a_notebook"  # no .ipynb, or a file that is not JSON
    INVALID_NOTEBOOK = "invalid_notebook"  # JSON but not a valid notebook (or too large)
    WRONG_ASSIGNMENT = "wrong_assignment"  # cells of another assignment
    MISSING_CELLS = "missing_cells"  # graded cells deleted so nothing can be scored
    TIMEOUT = "timeout"  # the student's code exceeded its wall-clock or CPU budget
    KERNEL_DIED = "kernel_died"  # the student's process ended abruptly (exit, signal)
    MEMORY = "memory"  # killed for exceeding the memory limit
    OUTPUT_FLOOD = "output_flood"  # printed or returned more output than allowed
    FORBIDDEN_API = "forbidden_api"  # one check only: the answer used what it must implement
    CRASH = "crash"  # the grader failed on this submission (a bug): tried again next run
    GRADER_ERROR = "grader_error"  # the grading environment failed (never the student's)


#: Reasons whose submission is the grader's problem: the next run grades it again.
GRADER_SIDE = frozenset({Reason.CRASH, Reason.GRADER_ERROR})
#: The student's process went away: what a sandbox reports, per check or per notebook.
UNAVAILABLE = frozenset({Reason.TIMEOUT, Reason.KERNEL_DIED, Reason.MEMORY, Reason.OUTPUT_FLOOD})
#: Failures after which the notebook holds nothing a human could grade either.
UNUSABLE = frozenset({Reason.NOT_A_NOTEBOOK, Reason.INVALID_NOTEBOOK, Reason.WRONG_ASSIGNMENT})


@dataclass(frozen=True)
class StudentText:
    """What a student reads: ``not_graded`` when the whole submission failed (the outcome's
    detail and the feedback headline), ``did`` — what their code did — inside a check's
    message when one check could not be judged for that reason."""

    not_graded: str
    did: str = ""


STUDENT_TEXT: dict[Reason, StudentText] = {
    Reason.NOT_A_NOTEBOOK: StudentText("The submission is not a Jupyter notebook (or not valid JSON)."),
    Reason.INVALID_NOTEBOOK: StudentText("The submitted file is not a valid notebook."),
    Reason.WRONG_ASSIGNMENT: StudentText("The submitted notebook belongs to another assignment."),
    Reason.MISSING_CELLS: StudentText("Graded cells were deleted from the notebook, so it could not be scored."),
    Reason.TIMEOUT: StudentText("Your notebook ran longer than the time limit, so it could not be graded.",
                                "ran longer than the time limit"),
    Reason.MEMORY: StudentText("Your notebook used more memory than allowed, so it could not be graded.",
                               "used more memory than allowed"),
    Reason.KERNEL_DIED: StudentText("Your code stopped the Python process (crash or exit), so it could not be graded.",
                                    "stopped the Python process (crash or exit)"),
    Reason.OUTPUT_FLOOD: StudentText("Your code printed or returned more output than allowed, so it could not be graded.",
                                     "printed or returned more output than allowed"),
    Reason.FORBIDDEN_API: StudentText("Your answers use what this exercise asks you to implement yourself."),
    Reason.CRASH: StudentText("The grader failed on this submission; your instructor has been notified."),
    Reason.GRADER_ERROR: StudentText("The grader could not run in its environment; your instructor has been notified."),
}


def not_graded(reason: Reason) -> str:
    """The sentence for a submission that could not be graded for ``reason``."""
    return STUDENT_TEXT[reason].not_graded


def check_not_graded(reason: Reason) -> str:
    """The message of one check that scored 0 because the student's process was gone."""
    return f"Not graded: your code {STUDENT_TEXT[reason].did}, so this check scored 0."
