"""The course's ``nbgrader_config.py`` loads wherever nbgrader reads it: also in a course folder
without the autograder beside it (a copy on a grading host, the formgrader's server), where a
config file that raised would lose every setting (traitlets logs the error and goes on without
the file: the gradebook URL, the late rule, the exchange)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOAD = ("from traitlets.config.loader import PyFileConfigLoader\n"
        "c = PyFileConfigLoader('nbgrader_config.py', path='.').load_config()\n"
        "print(c.CourseDirectory.db_url, c.LateSubmissionPlugin.penalty_method)\n")


def test_the_config_loads_in_a_course_folder_without_the_autograder(tmp_path: Path) -> None:
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    env = {"PATH": "/usr/bin:/bin", "LRLAB_DB_URL": "postgresql://127.0.0.1/lrlab_test"}
    run = subprocess.run([sys.executable, "-c", LOAD], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["postgresql://127.0.0.1/lrlab_test", "none"], run.stdout
