"""Grading on arrival: ``python -m autograder serve``, the hub's grading service.

A student submits in the Assignments tab; within seconds, with no instructor action, they can
fetch the result there (or open their status page). Read in this order:

* :mod:`autograder.rules` and :mod:`autograder.submission_policy` — each assignment's rules
  (attempts, cool-down, what the feedback shows, which attempt counts, deadlines), from
  ``nbgrader_config.py``; :mod:`autograder.header` states them in the release notebook;
* :mod:`~autograder.arrival.exchange` — the nbgrader exchange: new submissions, released feedback;
* :mod:`~autograder.arrival.attempts` — one folder and one durable record per attempt, the
  decision to grade it or not, which graded attempt counts;
* :mod:`~autograder.arrival.queue` — one queue per student;
* :mod:`~autograder.arrival.service` — the loop: notice, decide, grade with the same per-submission
  path as ``grade`` (same sandbox, sealed scorer, outcome records), release, promote;
* :mod:`~autograder.arrival.pages` — what each attempt's page shows (policy-dependent);
* :mod:`~autograder.arrival.promote` — the counting attempt into ``submitted/``, ``outcomes/``
  and the gradebook;
* :mod:`~autograder.arrival.status` — the student's status page (JupyterHub OAuth);
* :mod:`autograder.lateness` — nbgrader's late penalty, extensions, late days (for ``grade`` too).
"""
