"""Start the LR Lab demo hub on 127.0.0.1 (what ``make hub`` runs).

Picks free ports, makes demo passwords unless LRLAB_HUB_STUDENT_PASSWORD and
LRLAB_HUB_INSTRUCTOR_PASSWORD are set, prints the URL and the demo accounts, then runs
JupyterHub in the foreground with hub/jupyterhub_config.py. Ctrl-C stops the hub, the
proxy and every user server.

    python hub/launch.py [--port N] [--runtime DIR] [--course-root DIR] [--print-only]
"""
from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lrlab_hub import GRADER_SERVICE, HUB_DIR, LOOPBACK, PROXY_BIN, HubSettings, free_port  # noqa: E402


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def hub_environment(port: int | None = None, runtime: str | None = None,
                    course_root: str | None = None) -> dict[str, str]:
    """The environment jupyterhub needs: ports, folders and demo passwords."""
    env = dict(os.environ)
    if runtime:
        env["LRLAB_HUB_RUNTIME"] = str(Path(runtime).resolve())
    if course_root:
        env["LRLAB_COURSE_ROOT"] = str(Path(course_root).resolve())
    wanted = port or int(env.get("LRLAB_HUB_PORT") or 8000)
    env["LRLAB_HUB_PORT"] = str(wanted if _port_is_free(wanted) else free_port())
    env.setdefault("LRLAB_HUB_API_PORT", str(free_port()))
    env.setdefault("LRLAB_HUB_PROXY_API_PORT", str(free_port()))
    # Demo passwords, made fresh for each start unless given (never stored in the repo).
    env.setdefault("LRLAB_HUB_STUDENT_PASSWORD", secrets.token_urlsafe(9))
    env.setdefault("LRLAB_HUB_INSTRUCTOR_PASSWORD", secrets.token_urlsafe(32))
    return env


def banner(env: dict[str, str]) -> str:
    hub = HubSettings.from_env(env)
    lines = [
        "",
        "LR Lab demo hub (NOT for production: shared passwords, no isolation between users)",
        f"  URL         {hub.url}",
        f"  instructor  {hub.instructor:<10} password {env['LRLAB_HUB_INSTRUCTOR_PASSWORD']}"
        f"   (formgrader: {hub.url}user/{hub.instructor}/formgrader)",
        f"  students    {', '.join(hub.students)}   password {env['LRLAB_HUB_STUDENT_PASSWORD']}",
        *([f"  grading     on arrival, status pages at {hub.url}services/{GRADER_SERVICE}/"]
          if env.get("LRLAB_HUB_GRADER", "1") != "0" else []),
        f"  course      {hub.course_root}",
        f"  exchange    {hub.exchange}",
        f"  state       {hub.runtime}",
        "Stop with Ctrl-C.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, help="public port on 127.0.0.1 (default 8000, or a free one)")
    parser.add_argument("--runtime", help="folder for hub state (default hub/runtime)")
    parser.add_argument("--course-root", help="nbgrader course root (default: the repository)")
    parser.add_argument("--print-only", action="store_true", help="print the banner and exit")
    args = parser.parse_args(argv)

    if not PROXY_BIN.exists():
        print(f"configurable-http-proxy is missing ({PROXY_BIN}); run `make hub-proxy`", file=sys.stderr)
        return 2
    env = hub_environment(args.port, args.runtime, args.course_root)
    print(banner(env), flush=True)
    if args.print_only:
        return 0
    jupyterhub = Path(sys.executable).with_name("jupyterhub")
    config = HUB_DIR / "jupyterhub_config.py"
    os.execve(str(jupyterhub), [str(jupyterhub), "-f", str(config)], env)


if __name__ == "__main__":
    sys.exit(main())
