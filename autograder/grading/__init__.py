"""The per-submission grading path, from ``submitted/`` to the gradebook: grading's one home.

Read in this order:

* :mod:`autograder.grading.trusted` — the frozen :class:`TrustedAssignment` the coordinator
  (:mod:`autograder.grade`) builds ONCE per run: release notebook cross-checked with
  nbgrader's gradebook, its data files, a digest.
* :mod:`autograder.grading.steps` — the steps of one submission, declared once (one
  signature each): validate (:mod:`autograder.grading.validate`) → normalize
  (:mod:`autograder.grading.normalize`) → score (:mod:`autograder.grading.scorer`, sealed;
  it hands a sandboxed child what :mod:`autograder.grading.program` builds: setup cells and
  answer cells only) → execute for feedback (:mod:`autograder.grading.execute`); and the
  passes that run them (``GRADE``, then ``FEEDBACK``).
* :mod:`autograder.grading.worker` — a worker process: :meth:`Grader.run` runs a pass;
  :func:`grade_one` and :func:`execute_one` are what the pool or Dask runs (``grade_at`` and
  ``execute_at`` for a submission in folders of its own, :class:`~autograder.grading.steps.Where`:
  an attempt graded on arrival).
* record — back in the coordinator (:mod:`autograder.grade.recording`): the outcome record
  (:mod:`autograder.store`), then nbgrader's gradebook (:mod:`autograder.gradebook`).

Every failure is a :class:`~autograder.reasons.Reason`; a step raises
:class:`~autograder.grading.failure.GradingFailed` and ``Grader.run`` catches it in one place.

This package imports nothing heavy on its own: import the module you need.
"""
