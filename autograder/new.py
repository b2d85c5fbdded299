"""``python -m autograder new NAME``: scaffold a working assignment (the authoring guide:
``autograder/assignments/README.md``).

It writes four files and touches no other:

* ``source/NAME/NAME.ipynb`` — the nbgrader source notebook: a read-only setup cell, one
  answer cell (``scaled_lr``: the linear scaling rule for the learning rate), one test cell
  with a visible assert and a hidden part that calls
  :func:`autograder.assignments.run_in_kernel`;
* ``autograder/assignments/NAME/assignment.py`` — the :class:`~autograder.assignments.Assignment`
  and its one hidden check (random cases against a reference computed on the trusted side);
* ``autograder/assignments/NAME/samples/correct.py`` and ``wrong_never_scales_down.py`` —
  a correct answer set and a wrong-but-plausible one (partial credit).

Then ``python -m autograder release NAME`` generates the student version, and the grader,
the demo and the tests know the assignment: nothing lists it anywhere else.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.assignments import ASSIGNMENTS_DIR, MODULE_NAME, SAMPLES, names
from autograder.course import Course, CourseError
from autograder.sandbox.policy import student_limits

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _nbgrader(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False,
              points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook(name: str) -> nbformat.NotebookNode:
    """The scaffolded source notebook of assignment ``name``."""
    return new_notebook(metadata={"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}, cells=[
        new_markdown_cell(dedent("""\
            # Scaling the learning rate with the batch size

            A common rule of thumb (Goyal et al. 2017, "Accurate, Large Minibatch SGD"): when the
            batch grows *k* times, multiply the learning rate by *k*. Write
            `scaled_lr(base_lr, batch_size, base_batch_size)`: the rate for `batch_size`, given that
            `base_lr` works for `base_batch_size`.

            """) + student_limits()),
        new_code_cell("# Setup (read-only): everything your answer may use.\nimport math",
                      metadata={**_nbgrader("setup", locked=True), "tags": ["setup"]}),
        new_code_cell(dedent("""\
            def scaled_lr(base_lr, batch_size, base_batch_size):
                ### BEGIN SOLUTION
                return base_lr * batch_size / base_batch_size
                ### END SOLUTION"""), metadata=_nbgrader("scaled_lr_answer", solution=True)),
        new_code_cell(dedent(f"""\
            # Visible test (the hidden part tries other rates and batch sizes).
            assert math.isclose(scaled_lr(0.1, 64, 32), 0.2), "twice the batch, twice the rate"

            ### BEGIN HIDDEN TESTS
            from autograder.assignments import run_in_kernel
            run_in_kernel("{name}", "test_scaled_lr", globals())
            ### END HIDDEN TESTS"""), metadata=_nbgrader("test_scaled_lr", grade=True, locked=True, points=10)),
    ])


def assignment_module(name: str) -> str:
    """The scaffolded ``assignment.py``: the description and its one check."""
    return dedent(f'''\
        """{name}: the linear scaling rule for the learning rate (scaffolded by ``python -m autograder new``).

        Grow it: more answer cells and checks (a ``checks.py`` beside this file once they are many),
        a ``harness.py`` for operations the checks run on the student's side, answer sets in
        ``samples/`` (autograder/assignments/README.md says how).
        """
        from __future__ import annotations

        import random

        from autograder.assignments import Assignment
        from autograder.checks import Check, CheckResult, Student, close

        CASES = 20


        def reference(base_lr: float, batch_size: int, base_batch_size: int) -> float:
            """The linear scaling rule, computed here (never in the student's process)."""
            return base_lr * batch_size / base_batch_size


        def check_scaled_lr(student: Student, rng: random.Random) -> CheckResult:
            """Random rates and batch sizes, larger and smaller than the base: the share right."""
            if not student.has("scaled_lr"):
                return CheckResult(0.0, ("scaled_lr is not defined",), basics_ok=False)
            cases = [(rng.uniform(1e-4, 1.0), rng.choice((8, 16, 32, 64, 128, 256)), rng.choice((16, 32, 64, 128)))
                     for _ in range(CASES)]
            got = student.call_many("scaled_lr", [(list(case), {{}}) for case in cases])
            right = sum(close(answer, reference(*case)) for answer, case in zip(got, cases))
            visible = close(student.call_many("scaled_lr", [([0.1, 64, 32], {{}})])[0], 0.2)  # the visible assert
            return CheckResult(right / CASES, (f"{{right}}/{{CASES}} hidden cases right",), basics_ok=visible)


        ASSIGNMENT = Assignment(
            name="{name}",
            checks=(Check("test_scaled_lr", 10, "scaled_lr: the linear scaling rule", check_scaled_lr,
                          ("scaled_lr_answer",)),),
            case_seed=0,  # the hidden cases, the same for every student; change it for new ones
        )
        ''')


SAMPLE_SETS = {
    "correct.py": """\
        # %% answer: scaled_lr_answer
        def scaled_lr(base_lr, batch_size, base_batch_size):
            return base_lr * batch_size / base_batch_size
        """,
    "wrong_never_scales_down.py": """\
        # variant-of: correct
        # %% answer: scaled_lr_answer
        def scaled_lr(base_lr, batch_size, base_batch_size):
            # right for larger batches only: a smaller batch keeps the base rate
            return base_lr * max(1.0, batch_size / base_batch_size)
        """,
}


@dataclass(frozen=True)
class Scaffolded:
    name: str
    files: tuple[Path, ...]


def run(course: Course, name: str, *, log=print) -> Scaffolded:
    """Write the four files of a new assignment ``name`` (see the module doc)."""
    if not name.isidentifier() or name.startswith("_"):
        raise CourseError(f"{name!r} cannot name an assignment: use letters, digits and underscores (ps4_warmup)")
    source = course.path("source", ".", name)
    folder = ASSIGNMENTS_DIR / name
    if name in names() or folder.exists() or source.exists():
        raise CourseError(f"assignment {name!r} exists already ({folder if folder.exists() else source})")
    files = {
        source / f"{name}.ipynb": nbformat.writes(source_notebook(name)) + "\n",
        folder / f"{MODULE_NAME}.py": assignment_module(name),
        **{folder / SAMPLES / file: dedent(text) for file, text in SAMPLE_SETS.items()},
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    shown = "\n".join(f"  {path.relative_to(course.root) if path.is_relative_to(course.root) else path}"
                      for path in files)
    log(f"Scaffolded {name}:\n{shown}\nNext: python -m autograder release {name}, then grade its samples "
        f"(python -m autograder demo), and make it yours: autograder/assignments/README.md.")
    return Scaffolded(name, tuple(files))
