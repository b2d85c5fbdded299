"""nbgrader config for every account on the LR Lab hub (found through JUPYTER_CONFIG_PATH).

It applies the course's own nbgrader_config.py (course id, exchange from LRLAB_EXCHANGE,
timeouts, ...) to everyone, then the one thing that differs for students.
"""
import os

c = get_config()  # noqa: F821  (provided by traitlets)

_course_root = os.environ["LRLAB_COURSE_ROOT"]
if not os.path.isfile(os.path.join(_course_root, "nbgrader_config.py")):
    raise FileNotFoundError(f"no nbgrader_config.py in LRLAB_COURSE_ROOT={_course_root}")
load_subconfig("nbgrader_config.py", path=_course_root)  # noqa: F821  (provided by traitlets)

if os.environ.get("LRLAB_HUB_ROLE") == "student":
    # nbgrader names a submission after the OS user, and uses JUPYTERHUB_USER only when
    # that OS user is "jovyan" (nbgrader.utils.get_username). On this one-machine hub every
    # user server runs as the same OS user, so say who the student is explicitly.
    c.CourseDirectory.student_id = os.environ["JUPYTERHUB_USER"]
