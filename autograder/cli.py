"""The instructor's command line, python -m autograder VERB: one module per verb.

=========  ==========================  ===============================================
verb       module                      what it does
=========  ==========================  ===============================================
new        ``autograder/new.py``       scaffold an assignment (source notebook, folder)
release    ``autograder/release.py``   regenerate release/ from source/ (+ exchange)
collect    ``autograder/collect.py``   exchange inbound -> submitted/
grade      ``autograder/grade/``       parallel, resumable autograding -> outcomes + gradebook
           (per submission: ``autograder/grading/``, steps declared in ``grading/steps.py``)
serve      ``autograder/arrival/``     grade each submission when it arrives in the exchange
                                       (the hub's grading service; attempts, status page)
feedback   ``autograder/feedback.py``  executes notebooks not yet executed, then per-student
                                       HTML in feedback/ (no hidden tests)
export     ``autograder/export.py``    exports/grades.csv and exports/check_scores.csv;
           ``autograder/lms.py``       ``--format canvas|moodle``: the LMS's import file
report     ``autograder/report.py``    reports/<assignment>.html with plots
publish    ``autograder/publish.py``   the student repository (no solutions, no checks)
demo       ``autograder/demo.py``      all of the above on the bundled sample class
=========  ==========================  ===============================================

The course root is ``--course DIR``, else ``$LRLAB_COURSE_ROOT``, else the current folder
when it holds ``nbgrader_config.py``, else the folder this package lives in. A request that
cannot be honoured (unknown assignment or student, nothing graded yet, no exchange) prints
one clear line and exits with status 2 without changing anything. A ``grade`` run that the
grading environment stops (``grader_error``: the sandbox cannot isolate, reaches less
than ``--require-isolation``, or — without ``--allow-weak-isolation`` — would leave the
instructor's files within reach of student code or would not keep students apart:
``autograder/sandbox/policy.py``) prints one line and exits with status 3.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from autograder import REPO_ROOT, lms
from autograder.course import Course, CourseError, ensure_tools_on_path
from autograder.sandbox.policy import Level, Part, describe

DESCRIPTION = ("LR Lab's instructor command line: release, collect, grade, serve, feedback, export, report, "
               "publish, new.\nRun it in the course root (the folder with nbgrader_config.py) or pass --course DIR.")


def course_root(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    if os.environ.get("LRLAB_COURSE_ROOT"):
        return Path(os.environ["LRLAB_COURSE_ROOT"])
    if (Path.cwd() / "nbgrader_config.py").is_file():
        return Path.cwd()
    return REPO_ROOT


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--course", metavar="DIR", help="course root (folder with nbgrader_config.py)")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    p = verbs.add_parser("new", help="scaffold an assignment: source notebook, folder, samples")
    p.add_argument("name", help="the assignment id, e.g. ps4_warmup (letters, digits, underscores)")

    p = verbs.add_parser("release", help="regenerate release/ from source/; release to the exchange if configured")
    p.add_argument("assignment", nargs="?")
    p.add_argument("--all", action="store_true", help="every assignment in source/")
    p.add_argument("--no-exchange", action="store_true", help="only regenerate release/")

    p = verbs.add_parser("collect", help="collect submissions from the exchange into submitted/")
    p.add_argument("assignment")

    p = verbs.add_parser("grade", help="autograde every submission (parallel, resumable)", epilog=describe(),
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("assignment")
    p.add_argument("--students", metavar="GLOB", help="only students whose id matches, e.g. 'a*'")
    p.add_argument("--workers", type=int, metavar="N", help="local worker processes (default: one per core, fewer for a small class)")
    p.add_argument("--dask", metavar="ADDRESS", help="run on a Dask distributed scheduler, e.g. tcp://host:8786")
    p.add_argument("--force", action="store_true", help="regrade even submissions with a current outcome")
    p.add_argument("--execute", action="store_true",
                   help="also execute the feedback notebooks now (else `feedback` does it when asked)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--require-isolation", metavar="LEVEL", default="",
                   help="refuse to run student code in a sandbox lacking any of these parts, e.g. "
                        f"netns+mountns+pidns (parts: {' '.join(Part)}; below)")
    p.add_argument("--allow-weak-isolation", action="store_true",
                   help="grade even where neither a mount namespace nor Landlock hides the instructor's files "
                        "from student code and their permission bits do not either, or where nothing keeps "
                        "one student's code from signalling, tracing or outliving another's (no PID namespace "
                        "per child, no uid per child, no Landlock scoping): you accept the risk")

    p = verbs.add_parser("serve", help="grade each submission the moment it arrives in the exchange (grading service)",
                         description="The grading service: grading on arrival with the rules of "
                                     "c.CourseRules in nbgrader_config.py (autograder/rules.py). Runs until stopped.")
    p.add_argument("--workers", type=int, metavar="N", help="grading processes (default: one per core)")
    p.add_argument("--poll", type=float, default=1.0, metavar="SECONDS", help="how often to look at the exchange (default 1)")
    p.add_argument("--once", action="store_true", help="grade what is in the exchange now, then stop")
    p.add_argument("--no-execute", action="store_true",
                   help="scores pages only: do not execute the notebooks for feedback")
    p.add_argument("--status-port", type=int, metavar="PORT",
                   help="port of the status page (default: the one in the hub's service URL)")
    p.add_argument("--require-isolation", metavar="LEVEL", default="", help="as for grade")
    p.add_argument("--allow-weak-isolation", action="store_true", help="as for grade")

    p = verbs.add_parser("feedback", help="execute what is not yet executed, then per-student HTML in feedback/")
    p.add_argument("assignment")
    p.add_argument("--students", metavar="GLOB")
    p.add_argument("--workers", type=int, metavar="N", help="local worker processes (default: one per core, fewer for a small class)")
    p.add_argument("--allow-weak-isolation", action="store_true", help="as for grade")

    p = verbs.add_parser("export", help="grades CSV (all assignments) and per-check scores CSV, or an LMS import file")
    p.add_argument("--format", choices=lms.FORMATS, default="csv",
                   help="csv: grades.csv + check_scores.csv; canvas / moodle: the LMS's grade import CSV")
    p.add_argument("--roster", metavar="FILE", help="roster mapping student ids to LMS ids (default: roster.csv)")
    p.add_argument("--output", metavar="DIR", help="folder for the CSV files (default: exports/)")

    p = verbs.add_parser("report", help="HTML report with plots for one assignment")
    p.add_argument("assignment")
    p.add_argument("--output", metavar="FILE", help="default: reports/<assignment>.html")

    p = verbs.add_parser("publish", help="build the student repository (course/, lrlab/, release/) in DIR")
    p.add_argument("dir", metavar="DIR", help="a new folder, or an earlier publish to update (a git repository)")

    p = verbs.add_parser("demo", help="release, lay out the sample class, grade, feedback, export, report")
    p.add_argument("--workers", type=int, metavar="N")
    return parser


def dispatch(args: argparse.Namespace) -> int:
    course = Course(course_root(args.course))
    if args.verb == "new":
        from autograder import new

        new.run(course, args.name)
    elif args.verb == "release":
        from autograder import release

        release.run(course, args.assignment, all_=args.all, exchange=not args.no_exchange)
    elif args.verb == "collect":
        from autograder import collect

        collect.run(course, args.assignment)
    elif args.verb == "grade":
        from autograder import grade

        if args.workers is not None and args.workers < 1:
            raise CourseError("--workers must be at least 1")
        try:
            options = grade.GradeOptions.requiring(
                args.require_isolation, args.allow_weak_isolation, students=args.students, workers=args.workers,
                dask=args.dask, execute=args.execute, force=args.force, progress=not args.no_progress)
        except ValueError as err:
            raise CourseError(f"--require-isolation: {err}") from None
        summary = grade.run(course, args.assignment, options)
        if summary.stopped:
            return 3
        print(f"{args.assignment}: {summary.total} submission(s): {summary.graded} graded, "
              f"{summary.failed} failed, {summary.current} unchanged since the last run "
              f"({summary.seconds:.1f} s). Records: outcomes/{args.assignment}/")
    elif args.verb == "serve":
        from autograder.arrival import service
        from autograder.grading.worker import IsolationDemand

        if args.workers is not None and args.workers < 1:
            raise CourseError("--workers must be at least 1")
        try:
            isolation = IsolationDemand(Level.parse(args.require_isolation), args.allow_weak_isolation)
        except ValueError as err:
            raise CourseError(f"--require-isolation: {err}") from None
        options = service.ServeOptions(workers=args.workers, poll=args.poll, once=args.once, execute=not args.no_execute,
                                       isolation=isolation, status_port=args.status_port)
        return service.run(course, options)
    elif args.verb == "feedback":
        from autograder import feedback

        feedback.run(course, args.assignment, students=args.students, workers=args.workers,
                     allow_weak_isolation=args.allow_weak_isolation)
    elif args.verb == "export" and args.format == "csv":
        from autograder import export

        export.run(course, output=args.output)
    elif args.verb == "export":
        lms.run(course, args.format, roster_file=args.roster, output=args.output)
    elif args.verb == "report":
        from autograder import report

        report.run(course, args.assignment, output=args.output)
    elif args.verb == "publish":
        from autograder import publish

        publish.run(course, Path(args.dir))
    elif args.verb == "demo":
        from autograder import demo

        return demo.run(course, workers=args.workers)
    return 0


def main(argv: list[str] | None = None) -> int:
    ensure_tools_on_path()
    os.environ.setdefault("MPLBACKEND", "Agg")
    args = build_parser().parse_args(argv)
    try:
        return dispatch(args)
    except CourseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except Exception as err:
        from sqlalchemy.exc import OperationalError

        if not isinstance(err, OperationalError):
            raise
        # A server gradebook that cannot be reached (down, wrong host, refused login): one
        # line, the driver's own reason (it names host and user, never the password).
        reason = str(err.orig).strip().splitlines()[0] if err.orig else type(err).__name__
        print(f"error: cannot use the gradebook: {reason}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: every outcome recorded so far is kept; run the same command again to resume.",
              file=sys.stderr)
        return 130
