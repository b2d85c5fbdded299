"""How untrusted student code runs: a warm, isolated fork server and its sandboxed children.

API (trusted side; importing this package does not import torch)::

    with Sandbox(course_root, Limits()) as sandbox:          # once per grading process (5-30 s)
        str(sandbox.isolation.level)                          # "netns+mountns+pidns+pidns-per-child+uid+…+rlimits"
        with sandbox.load(answer_program(trusted_nb, answers)) as student:    # tens of ms
            student.load_errors                               # {label: "ValueError: ..."}
            student.call("cosine_annealing", 17, 50, 0.1, 0.001)   # -> plain data
        result = sandbox.execute_notebook(nb, cell_timeout=30, total_timeout=300)
        result.failure, result.notebook, result.cell_errors   # failure: a Reason or None

One module per job:

* :mod:`~autograder.sandbox.policy` — the isolation as data: one frozen ``Policy`` (limits,
  private tmpfs, rlimits, environment, namespaces, seccomp, devices) and the typed ``Level``;
* :mod:`~autograder.sandbox.client` — :class:`Sandbox`, one per grading run: create it AFTER
  any fork of the grading process (``wait=False`` returns at once; the first request waits
  for the start); :mod:`~autograder.sandbox.lifecycle` starts and stops its warm parent,
  :mod:`~autograder.sandbox.connection` talks to it, :mod:`~autograder.sandbox.door` lets the
  other processes of the run share it (``sandbox.door().open()``);
* :mod:`~autograder.sandbox.answers` — ``sandbox.load(program)``: a student's answer program
  in a child, questioned in plain data (:mod:`autograder.protocol`);
* :mod:`~autograder.sandbox.notebook` — ``sandbox.execute_notebook(...)``: a notebook run for
  people; :mod:`~autograder.sandbox.outputs` cleans what it reports;
* :mod:`~autograder.sandbox.exposure` — whether a level leaves the instructor's files within
  a child's reach;
* the warm parent's side: :mod:`~autograder.sandbox._server` (its set-up and requests),
  :mod:`~autograder.sandbox._warm` (its own set-up), :mod:`~autograder.sandbox._enter` (a
  child's set-up, step by step from the policy), :mod:`~autograder.sandbox._view` (the file
  view: an allow-list), :mod:`~autograder.sandbox._child` (what runs inside a child), and the
  kernel interfaces (``_namespaces``, ``_landlock``, ``_seccomp``, ``_cgroup``, ``_uids``,
  ``_linux``); :mod:`~autograder.sandbox.hits` reads what a child's tripwire reports.

The warm parent enters new network, mount and PID namespaces the way this environment allows
(directly as root, through a user namespace otherwise), imports numpy, matplotlib (inline),
IPython, the ``preload`` modules (``preload=()``: no torch, for tests of the sandbox itself)
and the harness modules it is given — never an assignment's checks (verified: it refuses to
start otherwise) — arms their tripwires, drops matplotlib's cached fonts so that it holds no
descriptor besides stdio, its control sockets and its cgroup folders (also verified), and
then makes its root the children's file view: an allow-list (the interpreter, its libraries,
the venv, ``lrlab``, ``keep`` paths) bound into an empty tmpfs, so ``course_root``, the repo
root (``autograder/``, ``source/``, ``tests/``, ``gradebook.db``, ``submitted/``, ``.git`` …),
``hide`` paths and everything else of the machine are out of every child's sight. It is pid 1
of its own PID namespace where allowed, so nothing it started can outlive it, even if the
grading process is SIGKILLed; each child is pid 1 of a PID namespace of its own inside it.
Time limits are judged in a child's CPU time (with a wall-clock backstop), and an answer
child's tripwire hits reach the trusted side as they happen. ``isolation`` says what was
actually reached; ``alive`` turns False if the warm parent died (make a new Sandbox).
``close()`` (or ``with``) kills everything. Each child's set-up is the policy's (see
:mod:`autograder.sandbox.policy`).
"""
from autograder.protocol import StudentError, StudentUnavailable
from autograder.sandbox.answers import SandboxedStudent
from autograder.sandbox.client import DEFAULT_PRELOAD, Sandbox
from autograder.sandbox.connection import IsolationReport, SandboxBroken
from autograder.sandbox.door import SandboxDoor
from autograder.sandbox.notebook import ExecResult
from autograder.sandbox.policy import Level, Limits, Part, Policy

__all__ = ["DEFAULT_PRELOAD", "ExecResult", "IsolationReport", "Level", "Limits", "Part", "Policy", "Sandbox",
           "SandboxBroken", "SandboxDoor", "SandboxedStudent", "StudentError", "StudentUnavailable"]
