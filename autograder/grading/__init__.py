"""The per-submission grading path, from ``submitted/`` to the gradebook.

Read in this order:

* :mod:`autograder.grading.assignment` — the frozen :class:`TrustedAssignment` the
  coordinator (:mod:`autograder.grade`) builds ONCE per run: release notebook cross-checked
  with nbgrader's gradebook, its data files, a digest.
* :mod:`autograder.grading.worker` — :meth:`Grader.grade`, the steps for one submission:
  validate (:mod:`autograder.validate`) → normalize (:mod:`autograder.grading.normalize`)
  → score (:mod:`autograder.scorer`, sealed) → execute for feedback
  (:mod:`autograder.grading.execute`, a second pass); :func:`grade_one` and
  :func:`execute_one` are what the pool or Dask runs.
* record — back in the coordinator: :func:`autograder.store.write` (the outcome record), then
  :func:`autograder.gradebook.write_outcome` (nbgrader's gradebook).

Every failure is a :class:`~autograder.reasons.Reason`; a step raises
:class:`~autograder.grading.failure.GradingFailed` and ``Grader.grade`` catches it in one
place. :mod:`autograder.grading.program` builds what the sandboxed worker runs (setup cells
and answer cells only).

This package imports nothing heavy on its own: import the module you need.
"""
