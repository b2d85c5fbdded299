"""LR Lab's instructor-only grading code: never installed or shipped to students.

Navigate by verb, as with nbgrader's own commands: ``checks/`` holds the hidden checks
(one module per assignment), ``submissions.py`` builds notebooks from answer sets,
``sandbox/`` isolates student code, ``scorer.py`` computes authoritative scores, and
the pipeline commands (``python -m autograder …``) drive nbgrader's workflow.
"""
