"""nbgrader configuration for the LR Lab course (the course root is this folder)."""
import os

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "lrlab"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# Only notebooks and the data files an assignment ships are released.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
# Per-cell execution limit for nbgrader's own kernels.
c.ExecutePreprocessor.timeout = 60
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# The exchange (release/fetch/submit/collect) lives on shared storage; the hub sets it.
if os.environ.get("LRLAB_EXCHANGE"):
    c.Exchange.root = os.environ["LRLAB_EXCHANGE"]

# The gradebook: SQLite gradebook.db in this folder by default. Several graders share a
# server database instead, e.g. c.CourseDirectory.db_url = "postgresql://grader@127.0.0.1:5432/lrlab";
# the Zero to JupyterHub instructor profile passes it from a secret as LRLAB_DB_URL.
if os.environ.get("LRLAB_DB_URL"):
    c.CourseDirectory.db_url = os.environ["LRLAB_DB_URL"]

# Hidden test cells import the checks from this course root (``autograder.assignments``); the
# kernels nbgrader starts inherit this environment. Students never have autograder/.
_root = c.CourseDirectory.root
if _root not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_root, os.environ.get("PYTHONPATH")) if p)
