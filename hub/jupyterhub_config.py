"""JupyterHub configuration for running the LR Lab class on ONE machine (demo and tests).

Start it with ``make hub`` (which runs ``hub/launch.py``); the settings come from the
environment variables documented in ``hub/lrlab_hub.py``.

NOT FOR PRODUCTION. This file is deliberately simple and insecure:
- SharedPasswordAuthenticator: one shared student password, one instructor password, both
  generated at start-up by launch.py (or read from the environment). Anyone who knows the
  student password can log in as any student.
- SimpleLocalProcessSpawner: every user's server runs as the same system user as the hub,
  with a per-user HOME under the runtime folder. There is NO isolation between users.
For a real class use Zero to JupyterHub on Kubernetes with a real authenticator; see
hub/README.md ("Production").
"""
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lrlab_hub import GRADER_SERVICE, LOOPBACK, PROXY_BIN, HubSettings, free_port  # noqa: E402

c = get_config()  # noqa: F821  (provided by traitlets)

hub = HubSettings.from_env()
hub.prepare()

# --- network: everything on loopback -------------------------------------------------
c.JupyterHub.bind_url = hub.url
c.JupyterHub.hub_bind_url = f"http://{LOOPBACK}:{os.environ.get('LRLAB_HUB_API_PORT') or free_port()}"
c.ConfigurableHTTPProxy.api_url = f"http://{LOOPBACK}:{os.environ.get('LRLAB_HUB_PROXY_API_PORT') or free_port()}"
# configurable-http-proxy, pinned in hub/package.json, installed by `make hub-proxy`.
c.ConfigurableHTTPProxy.command = [str(PROXY_BIN)]
c.ConfigurableHTTPProxy.pid_file = str(hub.runtime / "jupyterhub-proxy.pid")
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# --- hub state: under the runtime folder (hub/runtime/ is ignored by git) --------------
c.JupyterHub.db_url = f"sqlite:///{hub.runtime / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(hub.runtime / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(hub.runtime / "jupyterhub.pid")

# --- accounts: demo authenticator (NOT for production) ---------------------------------
c.JupyterHub.authenticator_class = "shared-password"
c.Authenticator.allow_all = False
c.Authenticator.allowed_users = {hub.instructor, *hub.students}
# The instructor is a hub admin and logs in with their own password (>= 32 characters);
# students cannot log in as the instructor with the student password.
c.Authenticator.admin_users = {hub.instructor}
c.SharedPasswordAuthenticator.user_password = os.environ.get("LRLAB_HUB_STUDENT_PASSWORD")
c.SharedPasswordAuthenticator.admin_password = os.environ.get("LRLAB_HUB_INSTRUCTOR_PASSWORD")
if not (c.SharedPasswordAuthenticator.user_password and c.SharedPasswordAuthenticator.admin_password):
    raise SystemExit(
        "set LRLAB_HUB_STUDENT_PASSWORD and LRLAB_HUB_INSTRUCTOR_PASSWORD (or start with `make hub`)"
    )

# --- single-user servers: local processes, one HOME per user (NOT for production) ------
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = str(hub.homes / "{username}")
# The venv's jupyterhub-singleuser, so user servers and kernels see the course's packages.
c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
c.Spawner.default_url = "/lab"
c.Spawner.ip = LOOPBACK
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 90
if os.geteuid() == 0:
    # CI and containers run everything as root; Jupyter Server refuses that unless told.
    c.Spawner.args = ["--ServerApp.allow_root=True"]
# Only these variables of the hub's environment reach user servers (no JUPYTER_* from
# the instructor's shell, so every user gets their own ~/.jupyter and ~/.local).
c.Spawner.env_keep = ["PATH", "LANG", "LC_ALL", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE"]


def pre_spawn_hook(spawner):
    """Per-user server set-up: role-specific Jupyter/nbgrader config and working folder.

    nbgrader 0.9.6 takes the student id from the OS user name (JUPYTERHUB_USER only when
    that name is ``jovyan``), and all local demo users share one OS user, so the student
    layer of the config sets CourseDirectory.student_id from JUPYTERHUB_USER.
    """
    user = spawner.user.name
    spawner.environment.update(hub.user_env(user))
    home = hub.home(user)
    home.mkdir(parents=True, exist_ok=True)
    hub.seed_home(user)
    spawner.notebook_dir = str(hub.notebook_dir(user))


c.Spawner.pre_spawn_hook = pre_spawn_hook

# --- the grading service: grading on arrival, started (and restarted) by the hub ----------
# `python -m autograder serve` grades each submission as it arrives in the exchange and serves
# every student's grading status at /services/lrlab-grader/, behind the hub's OAuth; students
# may use that page (access:services!service=lrlab-grader), nothing else of it.
if os.environ.get("LRLAB_HUB_GRADER", "1") != "0":
    grader_port = int(os.environ.get("LRLAB_HUB_GRADER_PORT") or free_port())
    (hub.runtime / "grader").mkdir(exist_ok=True)
    c.JupyterHub.services = [{
        "name": GRADER_SERVICE,
        "url": f"http://{LOOPBACK}:{grader_port}",
        "command": [sys.executable, "-m", "autograder", "--course", str(hub.course_root), "serve"],
        "environment": hub.grader_env(),
        "cwd": str(hub.course_root),
        "oauth_no_confirm": True,
    }]
    c.JupyterHub.load_roles = [{"name": "user", "scopes": ["self", f"access:services!service={GRADER_SERVICE}"]}]
