"""Settings shared by `jupyterhub_config.py`, `launch.py` (``make hub``) and the hub test.

Everything the demo hub needs is described by environment variables, so the same
configuration serves ``make hub`` (state under ``hub/runtime/``) and the end-to-end test
(state under a temporary directory, a temporary copy of the course):

=============================  =================================================  ========================
variable                       meaning                                            default
=============================  =================================================  ========================
LRLAB_HUB_RUNTIME              hub state: database, cookie secret, homes, logs    ``hub/runtime``
LRLAB_COURSE_ROOT              the nbgrader course root (has nbgrader_config.py)  the repository root
LRLAB_EXCHANGE                 the nbgrader exchange (read by nbgrader_config.py) ``$LRLAB_HUB_RUNTIME/exchange``
LRLAB_HUB_PORT                 public port on 127.0.0.1                           8000
LRLAB_HUB_API_PORT             hub's internal API port on 127.0.0.1               a free port
LRLAB_HUB_PROXY_API_PORT       configurable-http-proxy's API port on 127.0.0.1    a free port
LRLAB_HUB_INSTRUCTOR           the instructor's user name                         ``instructor``
LRLAB_HUB_STUDENTS             comma-separated student user names                 ``student1,student2,student3``
LRLAB_HUB_STUDENT_PASSWORD     shared demo password of the students (>= 8 chars)  required (launch.py makes one)
LRLAB_HUB_INSTRUCTOR_PASSWORD  demo password of the instructor (>= 32 chars)      required (launch.py makes one)
LRLAB_HUB_GRADER               ``0``: no grading service (grading on arrival)     ``1``
LRLAB_HUB_GRADER_PORT          the grading service's port on 127.0.0.1            a free port
=============================  =================================================  ========================
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import stat
from dataclasses import dataclass
from pathlib import Path

HUB_DIR = Path(__file__).resolve().parent
REPO_ROOT = HUB_DIR.parent
USER_CONFIG = HUB_DIR / "user-config"
PROXY_BIN = HUB_DIR / "node_modules" / ".bin" / "configurable-http-proxy"
LOOPBACK = "127.0.0.1"
COURSE_ID = "lrlab"  # must match CourseDirectory.course_id in nbgrader_config.py
GRADER_SERVICE = "lrlab-grader"  # the grading service's name (autograder.rules.SERVICE_NAME)


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class HubSettings:
    runtime: Path
    course_root: Path
    exchange: Path
    port: int
    instructor: str
    students: tuple[str, ...]

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "HubSettings":
        env = os.environ if env is None else env
        runtime = Path(env.get("LRLAB_HUB_RUNTIME") or HUB_DIR / "runtime").resolve()
        students = tuple(
            s.strip() for s in env.get("LRLAB_HUB_STUDENTS", "student1,student2,student3").split(",")
            if s.strip()
        )
        return cls(
            runtime=runtime,
            course_root=Path(env.get("LRLAB_COURSE_ROOT") or REPO_ROOT).resolve(),
            exchange=Path(env.get("LRLAB_EXCHANGE") or runtime / "exchange").resolve(),
            port=int(env.get("LRLAB_HUB_PORT") or 8000),
            instructor=env.get("LRLAB_HUB_INSTRUCTOR", "instructor"),
            students=students,
        )

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/"

    @property
    def homes(self) -> Path:
        return self.runtime / "homes"

    def home(self, user: str) -> Path:
        return self.homes / user

    def role(self, user: str) -> str:
        return "instructor" if user == self.instructor else "student"

    def prepare(self) -> None:
        """Create the runtime folders and the exchange with nbgrader's permissions.

        The exchange root must exist and be writable by everyone who releases, fetches or
        submits (nbgrader docs: ``chmod ugo+rw``). The sticky bit, as on /tmp, stops one
        account from deleting another's files where accounts are real system users.
        """
        self.runtime.mkdir(parents=True, exist_ok=True)
        os.chmod(self.runtime, 0o755)
        self.homes.mkdir(exist_ok=True)
        self.exchange.mkdir(parents=True, exist_ok=True)
        os.chmod(self.exchange, 0o777 | stat.S_ISVTX)
        if not (self.course_root / "nbgrader_config.py").is_file():
            raise RuntimeError(f"no nbgrader_config.py in the course root {self.course_root}")

    def user_env(self, user: str) -> dict[str, str]:
        """The environment a user's Jupyter server (and the nbgrader CLI in the test) gets.

        JUPYTER_CONFIG_PATH layers hub/user-config/<role> over hub/user-config/all, which
        loads the course's nbgrader_config.py for everybody.
        """
        role = self.role(user)
        layers = [USER_CONFIG / "all"] if role == "instructor" else [USER_CONFIG / "student", USER_CONFIG / "all"]
        return {
            "JUPYTERHUB_USER": user,
            "LRLAB_HUB_ROLE": role,
            "LRLAB_COURSE_ROOT": str(self.course_root),
            "LRLAB_EXCHANGE": str(self.exchange),
            "JUPYTER_CONFIG_PATH": os.pathsep.join(str(p) for p in layers),
            "OMP_NUM_THREADS": "1",
        }

    def grader_env(self) -> dict[str, str]:
        """The environment of the grading service (``python -m autograder serve``): the course,
        the exchange, one thread per process, the state folders the instructor's tools use."""
        return {
            "LRLAB_COURSE_ROOT": str(self.course_root),
            "LRLAB_EXCHANGE": str(self.exchange),
            "OMP_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLCONFIGDIR": str(self.runtime / "grader" / "matplotlib"),
            "HOME": str(self.runtime / "grader"),
        }

    def notebook_dir(self, user: str) -> Path:
        """The instructor works in the course root (the formgrader needs the course inside
        the server's root); a student works in their home."""
        return self.course_root if self.role(user) == "instructor" else self.home(user)

    def seed_home(self, user: str) -> None:
        """Prepare a user's home on each start: quiet JupyterLab, the lectures for students.

        JupyterLab is told not to ask about or fetch Jupyter news (no network from the class).
        Students get the lecture notebooks on first start.

        On one machine this copy stands in for an nbgitpuller link (see hub/README.md);
        an existing folder is never overwritten, so students keep their own edits.
        """
        home = self.home(user)
        home.mkdir(parents=True, exist_ok=True)
        settings = home / ".jupyter/lab/user-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"
        if not settings.exists():
            settings.parent.mkdir(parents=True, exist_ok=True)
            settings.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}, indent=2))
        lectures = self.course_root / "course"
        target = self.home(user) / "course"
        if self.role(user) == "student" and lectures.is_dir() and not target.exists():
            shutil.copytree(lectures, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
