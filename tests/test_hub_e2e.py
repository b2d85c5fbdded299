"""The class on a real JupyterHub, driven end to end in a real browser (issue 8).

A JupyterHub (hub/jupyterhub_config.py) starts on 127.0.0.1 with a temporary copy of the
course; Playwright drives Debian's chromium (never a downloaded browser):

* a lecture notebook from course/ opens in a student's JupyterLab and shows its plots;
* ps1_schedulers goes round the whole exchange: released by the course pipeline, fetched,
  answered (autograder/assignments/ps1_schedulers/samples/correct), validated and submitted in the
  browser; a second student submits a wrong variant through nbgrader's exchange API; the
  instructor collects, grades and writes feedback with `python -m autograder`, releases it
  with nbgrader, and the student fetches it in the browser;
* ps3_tuning is released, fetched, answered and validated in the browser;
* the instructor's formgrader lists the class, a student's server has none;
* grading on arrival (the hub's grading service, ``python -m autograder serve``): the student
  submits a wrong answer and, with no instructor action, fetches feedback naming the failing
  check within the budget, corrects it, resubmits and sees full marks, and opens the grading
  status page through the hub's OAuth; the second student's attempt past ps2's limit is refused
  with a clear message; the instructor's gradebook holds the counting attempts.

Screenshots of every step go to artifacts/hub/. Everything the hub started is stopped by
process id at the end, and the test checks that nothing survived.

Skips (with the reason) when chromium or configurable-http-proxy is missing; `make test`
installs both (`make hub-deps`). With CI set in the environment a missing piece fails instead.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "hub"))
from lrlab_hub import PROXY_BIN, HubSettings, free_port  # noqa: E402

pytestmark = [pytest.mark.hub, pytest.mark.slow, pytest.mark.timeout(1200)]

CHROMIUM = os.environ.get("LRLAB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
ARTIFACTS = ROOT / "artifacts" / "hub"
PS1 = "ps1_schedulers"
PS3 = "ps3_tuning"
INSTRUCTOR = "instructor"
STUDENT = "alice"  # answers in the browser
OTHER = "bob"  # submits through the exchange with nbgrader's exchange API (no browser)
STUDENT_PASSWORD = "demo-student-pw"
INSTRUCTOR_PASSWORD = "demo-instructor-password-only-for-tests"  # >= 32 characters
BIN = Path(sys.executable).parent
WRITTEN_ANSWER = ("Warm-up keeps the first updates small while the weights are still random and "
                  "the gradients large, so a high peak rate does not throw training off at the start.")


def _missing_prerequisites() -> list[str]:
    missing = []
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"Debian chromium ({CHROMIUM}; `make hub-browser` installs it as root with apt-get)")
    if not PROXY_BIN.exists():
        missing.append("configurable-http-proxy (hub/node_modules; `make hub-proxy` installs it with npm)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package (pip install -e '.[dev]')")
    if not (BIN / "jupyterhub").exists():
        missing.append("jupyterhub in the venv")
    return missing


_MISSING = _missing_prerequisites()
if _MISSING:
    _why = "hub end-to-end test needs: " + "; ".join(_MISSING)
    if os.environ.get("CI"):
        pytest.fail(_why + " (CI must not skip it: run `make hub-deps`)", pytrace=False)
    pytest.skip(_why, allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402


# --------------------------------------------------------------------------------------
# infrastructure: course copy, hub process, browser, screenshots, instructor/student CLIs
# --------------------------------------------------------------------------------------
_COPY_SKIP = {
    ".git", ".venv", ".cache", ".pytest_cache", "artifacts", "hub", "tests", "benchmarks",
    "node_modules", "gradebook.db", "gradebook.db-journal", "submitted", "autograded",
    "feedback", "exchange", "outcomes", "attempts", "reports", "exports", "__pycache__", ".ipynb_checkpoints",
}


def _copy_course(dest: Path) -> Path:
    """A private copy of the course root: nbgrader_config.py, source, release, course,
    autograder, lrlab, ... without any grading state."""
    def ignore(folder: str, names: list[str]) -> set[str]:
        skip = {n for n in names if n in {"__pycache__", ".ipynb_checkpoints"} or n.endswith(".egg-info")}
        if Path(folder) == ROOT:
            skip |= {n for n in names if n in _COPY_SKIP}
        return skip

    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)
    return dest


def _descendants(pid: int) -> list[int]:
    """All live descendants of ``pid`` (user servers run in their own sessions, so process
    groups alone do not find them)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


#: The test class's rules for grading on arrival (nbgrader_config.py of the course copy): ps1 lets a
#: student correct a wrong answer at once (three attempts, no cool-down), ps2 grades one attempt.
ARRIVAL_RULES = {"ps1_schedulers": {"attempts": 3, "cooldown": 0},
                 "ps2_diagnosing_curves": {"attempts": 1, "cooldown": 0}}
#: Seconds from Submit to the scores page fetched in the browser (the benchmark's p95 goal).
FEEDBACK_BUDGET = 30.0


class Hub:
    def __init__(self, base: Path):
        self.base = base
        self.course = _copy_course(base / "course")
        with open(self.course / "nbgrader_config.py", "a") as fh:
            fh.write(f"\nc.CourseRules.assignments = {ARRIVAL_RULES!r}\n")
        self.env = dict(os.environ)
        for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_PATH"):
            self.env.pop(var, None)  # the hub gives each user their own
        self.env.update({
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "LRLAB_HUB_RUNTIME": str(base / "runtime"),
            "LRLAB_COURSE_ROOT": str(self.course),
            "LRLAB_EXCHANGE": str(base / "runtime" / "exchange"),
            "LRLAB_HUB_PORT": str(free_port()),
            "LRLAB_HUB_API_PORT": str(free_port()),
            "LRLAB_HUB_PROXY_API_PORT": str(free_port()),
            "LRLAB_HUB_INSTRUCTOR": INSTRUCTOR,
            "LRLAB_HUB_STUDENTS": f"{STUDENT},{OTHER}",
            "LRLAB_HUB_STUDENT_PASSWORD": STUDENT_PASSWORD,
            "LRLAB_HUB_INSTRUCTOR_PASSWORD": INSTRUCTOR_PASSWORD,
        })
        self.settings = HubSettings.from_env(self.env)
        self.url = self.settings.url
        self.log_path = base / "jupyterhub.log"
        self.proc: subprocess.Popen | None = None
        self.known: set[int] = set()

    def start(self) -> None:
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [str(BIN / "jupyterhub"), "-f", str(ROOT / "hub" / "jupyterhub_config.py")],
            cwd=self.base, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyterhub exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "hub/api", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"jupyterhub did not answer at {self.url}:\n{self.log_tail()}")

    def remember_processes(self) -> None:
        if self.proc:
            self.known |= set(_descendants(self.proc.pid))

    def stop(self) -> list[int]:
        """SIGTERM the hub (it stops the proxy and every user server), then kill by pid
        whatever is left; returns the pids that had to be killed."""
        if not self.proc:
            return []
        self.remember_processes()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in self.known):
            time.sleep(0.2)
        leftovers = sorted(p for p in self.known | {self.proc.pid} if _alive(p))
        for pid in leftovers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=10)
        return leftovers

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # ---- command lines, as the instructor (course root) or a student (their home) ----
    def user_env(self, user: str) -> dict[str, str]:
        env = dict(self.env)
        env.update(self.settings.user_env(user))
        env["HOME"] = str(self.settings.home(user))
        env["USER"] = user
        return env

    def run_as(self, user: str, args: list[str], timeout: float = 300, stdin: str | None = None) -> str:
        cwd = self.settings.notebook_dir(user)
        cwd.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        done = subprocess.run(args, cwd=cwd, env=self.user_env(user), capture_output=True,
                              text=True, timeout=timeout, input=stdin)
        output = done.stdout + done.stderr
        shown = " ".join(a if len(a) < 80 else "<script>" for a in args)
        with (ARTIFACTS / "commands.log").open("a") as log:
            log.write(f"$ [{user}] {shown}   ({time.monotonic() - started:.1f}s)\n{output}\n")
        if done.returncode != 0:
            raise AssertionError(f"[{user}] {' '.join(args)} failed ({done.returncode}):\n{output[-4000:]}")
        return output

    def instructor(self, *args: str, timeout: float = 600) -> str:
        return self.run_as(INSTRUCTOR, list(args), timeout=timeout)


class Shots:
    """Numbered screenshots, and a log of when each was taken (artifacts/hub/steps.log)."""

    def __init__(self) -> None:
        self.n = 0
        self.t0 = time.monotonic()

    def __call__(self, page: Page, name: str) -> None:
        self.n += 1
        page.screenshot(path=str(ARTIFACTS / f"{self.n:02d}-{name}.png"), full_page=False)
        with (ARTIFACTS / "steps.log").open("a") as log:
            log.write(f"{time.monotonic() - self.t0:7.1f}s  {self.n:02d}-{name}\n")


@pytest.fixture(scope="module")
def shot() -> Shots:
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    return Shots()


@pytest.fixture(scope="module")
def hub(tmp_path_factory, shot):
    hub = Hub(tmp_path_factory.mktemp("hub"))
    hub.start()
    try:
        yield hub
    finally:
        leftovers = hub.stop()
        shutil.copy(hub.log_path, ARTIFACTS / "jupyterhub.log")
        assert not [p for p in hub.known | {hub.proc.pid} if _alive(p)], "processes survived the hub"
        if leftovers:
            print(f"hub e2e: had to SIGKILL {leftovers}", file=sys.stderr)


@pytest.fixture(scope="module")
def browser():
    args = CHROMIUM_ARGS + (["--no-sandbox"] if os.geteuid() == 0 else [])
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def pages(hub, browser):
    """One logged-in browser tab per user, kept for the whole module."""
    opened: dict[str, Page] = {}

    def page_for(user: str) -> Page:
        if user not in opened:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            page.set_default_timeout(60_000)
            _login(page, hub, user)
            hub.remember_processes()
            opened[user] = page
        return opened[user]

    yield page_for
    for page in opened.values():
        page.context.close()


# --------------------------------------------------------------------------------------
# the student's side in JupyterLab
# --------------------------------------------------------------------------------------
def _login(page: Page, hub: Hub, user: str) -> None:
    password = INSTRUCTOR_PASSWORD if user == INSTRUCTOR else STUDENT_PASSWORD
    page.goto(hub.url + "hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", password)
    page.click("#login_submit")
    # the hub spawns the user's server (spawn-pending page), then redirects to JupyterLab
    page.wait_for_url(re.compile(rf".*/user/{user}/lab.*"), timeout=150_000)
    page.locator("#jp-main-dock-panel").wait_for()
    page.locator("#jp-menu-panel").wait_for()


def _open_assignments(page: Page) -> None:
    page.locator('#jp-menu-panel div.lm-MenuBar-itemLabel:text("Nbgrader")').click()
    page.locator('#jp-mainmenu-nbgrader li[data-command="nbgrader:open-assignment-list"]').click()
    page.locator("#released_assignments_list").wait_for()
    page.locator("#refresh_assignments_list").click()
    for name in ("released", "fetched", "submitted"):
        expect(page.locator(f"#{name}_assignments_list_loading")).not_to_be_visible(timeout=60_000)


def _row(page: Page, kind: str, assignment: str):
    rows = page.locator(f"#{kind}_assignments_list > .list_item")
    return rows.filter(has=page.locator(".item_name a, .item_name", has_text=re.compile(rf"^\s*{assignment}\s*$")))


def _fetch_in_browser(page: Page, assignment: str) -> None:
    released = _row(page, "released", assignment)
    expect(released).to_have_count(1, timeout=60_000)
    released.locator(".item_status button").click()
    expect(_row(page, "fetched", assignment)).to_have_count(1, timeout=60_000)


def _visible_notebook(page: Page):
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")


def _open_fetched_notebook(page: Page, assignment: str, notebook_id: str) -> None:
    fetched = _row(page, "fetched", assignment)
    fetched.locator(".item_name a").first.click()  # expand the list of notebooks
    link = fetched.locator(".assignment-notebooks .item_name a", has_text=re.compile(rf"^{notebook_id}$"))
    link.click()
    expect(_visible_notebook(page).locator(".jp-Notebook .jp-Cell").first).to_be_visible(timeout=60_000)


def _type_answers(page: Page, notebook: nbformat.NotebookNode, answers: dict[str, str]) -> None:
    """Replace each answer cell's text by typing into its editor, as a student would."""
    cells = _visible_notebook(page).locator(".jp-Notebook .jp-Cell")
    expect(cells).to_have_count(len(notebook.cells), timeout=60_000)
    for index, cell in enumerate(notebook.cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id not in answers:
            continue
        target = cells.nth(index)
        target.scroll_into_view_if_needed()
        if cell.cell_type == "markdown":
            target.locator(".jp-MarkdownOutput, .jp-RenderedMarkdown").first.dblclick()
        editor = target.locator(".cm-content")
        editor.click()
        page.keyboard.press("ControlOrMeta+a")
        # insert_text sends the text as one input: no auto-indent or bracket closing
        page.keyboard.insert_text(answers[grade_id])
        page.keyboard.press("Escape")


def _validate(page: Page) -> str:
    _visible_notebook(page).locator("jp-button.validate-button").click()
    dialog = page.locator(".nbgrader-SuccessDialog, .nbgrader-ErrorDialog")
    expect(dialog).to_have_count(1, timeout=300_000)
    text = dialog.inner_text()
    ok = page.locator(".nbgrader-SuccessDialog").count() == 1
    return ("ok: " if ok else "error: ") + text


def _close_dialog(page: Page) -> None:
    page.locator(".jp-Dialog button.jp-Dialog-button").last.click()
    expect(page.locator(".jp-Dialog")).to_have_count(0)


def _submit_in_browser(page: Page, assignment: str) -> None:
    _open_assignments(page)
    _row(page, "fetched", assignment).locator('.item_status button:text("Submit")').click()
    expect(_row(page, "submitted", assignment)).to_have_count(1, timeout=60_000)


def _fetch_feedback_in_browser(page: Page, assignment: str) -> None:
    _open_assignments(page)
    submitted = _row(page, "submitted", assignment)
    expect(submitted).to_have_count(1)
    expect(submitted).to_contain_text("feedback available to fetch", timeout=30_000)
    submitted.locator('button:text("Fetch Feedback")').first.click()
    expect(submitted.locator("a", has_text="view feedback").first).to_be_visible(timeout=60_000)


# --------------------------------------------------------------------------------------
# helpers for the whole round trip
# --------------------------------------------------------------------------------------
def _saved_answers(path: Path) -> dict[str, str]:
    nb = nbformat.read(path, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


def _norm(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _autograded(course: Path, assignment: str, student: str) -> tuple[float, float]:
    """(score, max score) over the autograded cells, from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission(assignment, student)
        grades = [g for nb in submission.notebooks for g in nb.grades if g.auto_score is not None]
        return sum(g.score for g in grades), sum(g.max_score for g in grades)


# The second student's fetch and submit: nbgrader's exchange classes, configured exactly as
# the JupyterLab Assignments tab configures them (nbgrader_config.py files from
# JUPYTER_CONFIG_PATH, ~/.jupyter and the working folder), in one process.
_EXCHANGE_AS_STUDENT = """
import json, pathlib, sys
import nbformat
from nbgrader.apps import NbGrader
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeFactory

assignment, answers = sys.argv[1], json.loads(sys.stdin.read())
app = NbGrader()
app.load_config_file()
config = app.config
config.CourseDirectory.assignment_id = assignment
coursedir = CourseDirectory(config=config)
auth = Authenticator(config=config)
factory = ExchangeFactory(config=config)
if not pathlib.Path(assignment).is_dir():
    factory.FetchAssignment(coursedir=coursedir, authenticator=auth, config=config).start()
for path in sorted(pathlib.Path(assignment).glob("*.ipynb")):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    nbformat.write(nb, path)
factory.Submit(coursedir=coursedir, authenticator=auth, config=config).start()
print("submitted as", coursedir.student_id)
"""

_FETCH_FEEDBACK_AS_STUDENT = """
import sys
from nbgrader.apps import NbGrader
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeFactory

app = NbGrader()
app.load_config_file()
config = app.config
config.CourseDirectory.assignment_id = sys.argv[1]
coursedir = CourseDirectory(config=config)
ExchangeFactory(config=config).FetchFeedback(coursedir=coursedir, authenticator=Authenticator(config=config),
                                             config=config).start()
"""

def _fetch_answer_validate(hub: Hub, page: Page, shot: Shots, assignment: str,
                           right: dict[str, str], tag: str) -> None:
    """Browser: fetch ``assignment``, open each notebook, type the right answers (and a
    written answer), press Validate and check that it passes and that the text was saved."""
    _open_assignments(page)
    shot(page, f"{tag}-assignments-tab")
    _fetch_in_browser(page, assignment)
    shot(page, f"{tag}-fetched")

    folder = hub.settings.home(STUDENT) / assignment
    notebooks = sorted(folder.glob("*.ipynb"))
    assert notebooks, f"fetch put no notebook in {folder}"
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        ids = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
        mine = {k: v for k, v in right.items() if k in ids}
        for cell in nb.cells:  # written answers (graded by hand) are not in the answer sets
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "markdown" and meta.get("solution") and meta["grade_id"] not in mine:
                mine[meta["grade_id"]] = WRITTEN_ANSWER
        _open_fetched_notebook(page, assignment, path.stem)
        shot(page, f"{tag}-{path.stem}-opened")
        _type_answers(page, nb, mine)
        shot(page, f"{tag}-{path.stem}-answered")
        result = _validate(page)
        shot(page, f"{tag}-{path.stem}-validated")
        assert result.startswith("ok:"), f"Validate did not pass for {path.name}:\n{result}"
        _close_dialog(page)
        saved = _saved_answers(path)  # Validate saved the notebook: the typed text is on disk
        for grade_id, source in mine.items():
            assert _norm(saved[grade_id]) == _norm(source), f"cell {grade_id} was not saved as typed"


def _student_round_trip(hub: Hub, page: Page, shot: Shots, assignment: str,
                        right: dict[str, str], wrong: dict[str, str], tag: str) -> None:
    """Browser: fetch, answer, validate and submit. Exchange API: the other student fetches
    and submits the wrong answers through the exchange."""
    _fetch_answer_validate(hub, page, shot, assignment, right, tag)
    _submit_in_browser(page, assignment)
    shot(page, f"{tag}-submitted")

    hub.run_as(OTHER, [sys.executable, "-c", _EXCHANGE_AS_STUDENT, assignment], stdin=json.dumps(wrong))

    inbound = hub.settings.exchange / "lrlab" / "inbound"
    for student in (STUDENT, OTHER):
        assert list(inbound.glob(f"{student}+{assignment}+*")), f"no submission of {student} in the exchange"


def _check_grades(hub: Hub, assignment: str) -> tuple[tuple[float, float], tuple[float, float]]:
    right = _autograded(hub.course, assignment, STUDENT)
    wrong = _autograded(hub.course, assignment, OTHER)
    (ARTIFACTS / f"{assignment}-grades.json").write_text(json.dumps({STUDENT: right, OTHER: wrong}))
    assert right[1] > 0 and right[0] == pytest.approx(right[1]), f"{STUDENT} (correct) got {right}"
    assert wrong[0] < right[0], f"{OTHER} (wrong) got {wrong}, not fewer than {STUDENT}'s {right}"
    return right, wrong


def _check_feedback(hub: Hub, page: Page, shot: Shots, assignment: str, tag: str) -> None:
    _fetch_feedback_in_browser(page, assignment)
    shot(page, f"{tag}-feedback-fetched")
    files = list((hub.settings.home(STUDENT) / assignment / "feedback").glob("*/*.html"))
    assert files, "no feedback HTML arrived in the student's assignment folder"
    page.locator("#submitted_assignments_list a", has_text="view feedback").first.click()
    # "view feedback" shows the folder in the file browser; open the report from there
    page.locator(".jp-DirListing-item", has_text=files[0].name).first.dblclick()
    expect(page.locator(".jp-MainAreaWidget:not(.lm-mod-hidden) iframe")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1000)
    shot(page, f"{tag}-feedback-open")


# --------------------------------------------------------------------------------------
# grading on arrival: the grading service the hub runs
# --------------------------------------------------------------------------------------
PS2 = "ps2_diagnosing_curves"
GRADER_URL = "services/lrlab-grader/"


def _graded_on_arrival(hub: Hub, assignment: str, student: str, count: int, timeout: float = 180) -> list[dict]:
    """The student's attempt records once the service has decided ``count`` of them and graded
    the accepted ones (a service just started is still warming up: it may take a while)."""
    folder = hub.course / "attempts" / assignment / student
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = [json.loads(p.read_text()) for p in sorted(folder.glob("*/record.json"))]
        done = [r for r in records if r["refused"] or (folder / r["attempt"] / "outcome.json").is_file()]
        if len(records) >= count and len(done) == len(records):
            return sorted(records, key=lambda r: (r["arrived"], r["attempt"]))
        time.sleep(0.5)
    raise AssertionError(f"the grading service did not grade {count} attempt(s) of {student} in {timeout:.0f} s:\n"
                         f"{hub.log_tail()}")


def _newest_submission(hub: Hub, assignment: str, student: str) -> str:
    """The timestamp of the student's newest submission in the exchange (nbgrader's folder name)."""
    inbound = hub.settings.exchange / "lrlab" / "inbound"
    names = sorted(p.name for p in inbound.glob(f"{student}+{assignment}+*"))
    assert names, f"no submission of {student} in the exchange"
    return names[-1].split("+")[2]


def _feedback_in_the_tab(hub: Hub, page: Page, assignment: str, until: str, started: float) -> tuple[str, float]:
    """Fetch Feedback in the Assignments tab until the newest submission's page says ``until``;
    (its text, seconds since ``started``)."""
    from autograder.feedback import visible_text

    stamp = _newest_submission(hub, assignment, STUDENT)
    local = hub.settings.home(STUDENT) / assignment / "feedback" / stamp / f"{assignment}.html"
    deadline = time.monotonic() + 3 * FEEDBACK_BUDGET
    while time.monotonic() < deadline:
        _open_assignments(page)
        submitted = _row(page, "submitted", assignment)
        if "feedback available to fetch" in submitted.inner_text():
            submitted.locator('button:text("Fetch Feedback")').first.click()
            expect(submitted).not_to_contain_text("feedback available to fetch", timeout=30_000)
        text = visible_text(local.read_text()) if local.is_file() else ""
        if until in text:
            return text, time.monotonic() - started
        page.wait_for_timeout(1000)
    raise AssertionError(f"no feedback saying {until!r} for {STUDENT}'s newest {assignment} submission")


def _edit_and_submit(hub: Hub, page: Page, assignment: str, answers: dict[str, str]) -> float:
    """Type ``answers`` into the open notebook, save it, Submit in the Assignments tab; when."""
    path = hub.settings.home(STUDENT) / assignment / f"{assignment}.ipynb"
    _open_assignments(page)
    _open_fetched_notebook(page, assignment, assignment)
    _type_answers(page, nbformat.read(path, as_version=4), answers)
    _visible_notebook(page).locator(".jp-Notebook").click(position={"x": 5, "y": 5})
    page.keyboard.press("ControlOrMeta+s")
    deadline = time.monotonic() + 30
    while not _saved(path, answers):
        assert time.monotonic() < deadline, "the notebook was not saved"
        page.wait_for_timeout(300)
    inbound = hub.settings.exchange / "lrlab" / "inbound"
    before = len(list(inbound.glob(f"{STUDENT}+{assignment}+*")))
    _open_assignments(page)
    _row(page, "fetched", assignment).locator('.item_status button:text("Submit")').click()
    started = time.monotonic()
    while len(list(inbound.glob(f"{STUDENT}+{assignment}+*"))) == before:
        assert time.monotonic() - started < 60, "Submit put nothing in the exchange"
        page.wait_for_timeout(100)
    return started


def _saved(path: Path, answers: dict[str, str]) -> bool:
    """The notebook on disk holds these answers (False while JupyterLab is still writing it)."""
    try:
        saved = _saved_answers(path)
    except (OSError, ValueError):  # nbformat's NotJSONError is a ValueError: caught mid-write
        return False
    return all(_norm(saved[k]) == _norm(v) for k, v in answers.items())


def _open_fetched_page(hub: Hub, page: Page, assignment: str) -> None:
    """The newest fetched feedback page, in JupyterLab's HTML viewer."""
    stamp = _newest_submission(hub, assignment, STUDENT)
    page.goto(f"{hub.url}user/{STUDENT}/lab/tree/{assignment}/feedback/{urllib.parse.quote(stamp)}/{assignment}.html")
    expect(page.locator(".jp-MainAreaWidget:not(.lm-mod-hidden) iframe")).to_be_visible(timeout=60_000)
    page.locator("#jp-menu-panel").wait_for()
    page.wait_for_timeout(1000)


# --------------------------------------------------------------------------------------
# the tests
# --------------------------------------------------------------------------------------
def test_lecture_notebook_renders_plots(hub, pages, shot):
    lectures = sorted((hub.course / "course").glob("*.ipynb"))
    if not lectures:
        pytest.skip("course/ has no lecture notebook yet (issue 3)")
    def plots(path: Path) -> int:
        return sum(1 for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if "image/png" in o.get("data", {}))

    with_plots = [(path, n) for path in lectures if (n := plots(path))]
    assert with_plots, f"no lecture in course/ carries committed plot outputs: {[p.name for p in lectures]}"
    lecture, committed = with_plots[0]

    page = pages(STUDENT)
    shot(page, "student-lab")
    assert (hub.settings.home(STUDENT) / "course" / lecture.name).is_file(), "lectures not in the student's home"
    page.goto(f"{hub.url}user/{STUDENT}/lab/tree/course/{lecture.name}")
    images = _visible_notebook(page).locator(".jp-OutputArea-output img")
    expect(images.first).to_be_visible(timeout=60_000)
    expect(images).to_have_count(committed, timeout=30_000)
    for i in range(committed):
        images.nth(i).scroll_into_view_if_needed()
        width = images.nth(i).evaluate("img => img.complete ? img.naturalWidth : 0")
        src = images.nth(i).get_attribute("src") or ""
        assert width > 0 and src.startswith("data:image/png"), f"plot {i} of {lecture.name} did not render"
    images.first.scroll_into_view_if_needed()
    shot(page, "lecture-plots")


def test_ps1_through_hub_and_pipeline(hub, pages, shot):
    from autograder import submissions

    wrong_name = "wrong_step_no_floor"  # a wrong-but-plausible answer set that is cheap to grade
    right, wrong = submissions.answers(PS1, "correct"), submissions.answers(PS1, wrong_name)
    pipeline = [str(BIN / "python"), "-m", "autograder", "--course", str(hub.course)]
    hub.instructor(*pipeline, "release", PS1)
    outbound = hub.settings.exchange / "lrlab" / "outbound" / PS1
    assert list(outbound.glob("*.ipynb")), f"`python -m autograder release {PS1}` did not release to the exchange"

    page = pages(STUDENT)
    _student_round_trip(hub, page, shot, PS1, right=right, wrong=wrong, tag="ps1")

    # ps1 is graded on arrival too: once the service has decided both submissions, collect leaves
    # them to it and grade finds their records current (the batch workflow still works as before)
    for student in (STUDENT, OTHER):
        _graded_on_arrival(hub, PS1, student, 1)
    hub.instructor(*pipeline, "collect", PS1)
    hub.instructor(*pipeline, "grade", PS1, "--no-progress")
    scores = _check_grades(hub, PS1)
    print(f"ps1 autograded scores: {STUDENT} (correct) {scores[0]}, {OTHER} ({wrong_name}) {scores[1]}")
    hub.instructor(*pipeline, "feedback", PS1)
    hub.instructor(str(BIN / "nbgrader"), "release_feedback", PS1)
    _check_feedback(hub, page, shot, PS1, "ps1")


def test_grading_on_arrival_in_the_browser(hub, pages, shot):
    """With no instructor action: a wrong answer's failing check named within the budget, the
    corrected resubmission at full marks, the status page behind the hub's OAuth, a refusal past
    ps2's limit in the student's words, and the counting attempts in the gradebook."""
    from autograder import submissions

    pipeline = [str(BIN / "python"), "-m", "autograder", "--course", str(hub.course)]
    right = submissions.answers(PS1, "correct")
    page = pages(STUDENT)
    if not (hub.settings.home(STUDENT) / PS1).is_dir():  # run alone: what test_ps1_through_hub_and_pipeline left
        hub.instructor(*pipeline, "release", PS1)
        _fetch_answer_validate(hub, page, shot, PS1, right, "arrival")
    before = len(list((hub.course / "attempts" / PS1 / STUDENT).glob("*/record.json")))

    wrong = {k: v for k, v in submissions.answers(PS1, "wrong_step_no_floor").items() if right[k] != v}
    started = _edit_and_submit(hub, page, PS1, wrong)
    shot(page, "arrival-wrong-submitted")
    text, seconds = _feedback_in_the_tab(hub, page, PS1, "Checks passed", started)
    (ARTIFACTS / "arrival-latency.txt").write_text(f"wrong answer: Submit -> feedback in the browser: {seconds:.1f} s\n")
    assert re.search(r"step_decay\s*not passed", text), text[:2000]
    assert "Checks passed: 7 of 8" in text and seconds <= FEEDBACK_BUDGET, (seconds, text[:500])
    _open_fetched_page(hub, page, PS1)
    shot(page, "arrival-wrong-feedback")

    started = _edit_and_submit(hub, page, PS1, {k: right[k] for k in wrong})
    text, seconds = _feedback_in_the_tab(hub, page, PS1, "Checks passed: 8 of 8", started)
    with (ARTIFACTS / "arrival-latency.txt").open("a") as fh:
        fh.write(f"corrected: Submit -> feedback in the browser: {seconds:.1f} s\n")
    assert f"Attempt {before + 2} of 3" in text
    _open_fetched_page(hub, page, PS1)
    shot(page, "arrival-corrected-feedback")

    # the status page the header links to, through the hub's OAuth (students may use it)
    header = nbformat.read(hub.settings.home(STUDENT) / PS1 / f"{PS1}.ipynb", as_version=4).cells[0]
    assert f"]({'/' + GRADER_URL}{PS1})" in header.source
    status = page.context.new_page()  # a tab of its own: the student's JupyterLab stays open
    status.goto(f"{hub.url}{GRADER_URL}{PS1}")
    expect(status.locator("body")).to_contain_text("Grading status", timeout=60_000)
    expect(status.locator("tr.counts")).to_contain_text("8 of 8 checks passed")
    expect(status.locator("tr.attempt")).to_have_count(before + 2)
    shot(status, "arrival-status-page")
    status.close()

    # the second student: ps2 grades one attempt; the next one is refused, in words
    hub.instructor(*pipeline, "release", PS2)
    ps2 = json.dumps(submissions.answers(PS2, "correct"))
    hub.run_as(OTHER, [sys.executable, "-c", _EXCHANGE_AS_STUDENT, PS2], stdin=ps2)
    _graded_on_arrival(hub, PS2, OTHER, 1)
    hub.run_as(OTHER, [sys.executable, "-c", _EXCHANGE_AS_STUDENT, PS2], stdin=ps2)
    first, second = _graded_on_arrival(hub, PS2, OTHER, 2)
    assert first["number"] == 1 and second["refused"] == "attempts"
    assert second["message"] == (f"Not graded: you have used all 1 graded attempt for {PS2}. "
                                 "Your last graded attempt counts.")
    hub.run_as(OTHER, [sys.executable, "-c", _FETCH_FEEDBACK_AS_STUDENT, PS2])
    fetched = sorted((hub.settings.home(OTHER) / PS2 / "feedback").glob(f"*/{PS2}.html"))
    assert len(fetched) == 2 and second["message"] in fetched[1].read_text()

    # the instructor's gradebook holds the counting attempts
    score, full = _autograded(hub.course, PS1, STUDENT)
    assert score == full > 0
    from autograder import store

    record = store.read(hub.course, PS1, STUDENT)
    newest = sorted((hub.course / "attempts" / PS1 / STUDENT).glob("*/outcome.json"))[-1]
    assert record.submission_hash == json.loads(newest.read_text())["submission_hash"]
    assert _autograded(hub.course, PS2, OTHER)[0] > 0


def test_ps3_fetched_and_validated_in_the_browser(hub, pages, shot):
    """ps3_tuning (issue 14) reaches a student whole: released by the pipeline with its
    practice data, fetched in the Assignments tab, answered, and Validate passes in the
    student's own kernel (the range tests and the practice training runs included)."""
    from autograder import submissions

    pipeline = [str(BIN / "python"), "-m", "autograder", "--course", str(hub.course)]
    hub.instructor(*pipeline, "release", PS3)
    page = pages(STUDENT)
    _fetch_answer_validate(hub, page, shot, PS3, right=submissions.answers(PS3, "correct"), tag="ps3")
    assert (hub.settings.home(STUDENT) / PS3 / "practice_runs.json").is_file(), \
        "ps3's practice data did not travel with the fetched assignment"


def test_instructor_has_the_formgrader_students_do_not(hub, pages, shot):
    """The instructor's server (in the course root) serves nbgrader's formgrader and it lists
    what was released above; a student's server has no formgrader."""
    teacher = pages(INSTRUCTOR)
    teacher.goto(f"{hub.url}user/{INSTRUCTOR}/formgrader")
    expect(teacher.locator("body")).to_contain_text("Manage Assignments", timeout=60_000)
    released = sorted(p.name for p in (hub.settings.exchange / "lrlab" / "outbound").glob("*"))
    for assignment in released:
        expect(teacher.locator("body")).to_contain_text(assignment, timeout=60_000)
    shot(teacher, "instructor-formgrader")
    reply = pages(STUDENT).request.get(f"{hub.url}user/{STUDENT}/formgrader")
    assert reply.status == 404, f"students must not have the formgrader (HTTP {reply.status})"


def test_students_are_not_asked_about_jupyter_news(hub, pages, shot):
    """JupyterLab asks every new user "Would you like to get notified about official Jupyter
    news?" unless fetchNews is set: the course's override (lab-settings/lrlab.json) says never."""
    page = pages(STUDENT)
    plugin = "@jupyterlab/apputils-extension:notification"
    reply = page.request.get(f"{hub.url}user/{STUDENT}/lab/api/settings/{plugin}")
    assert reply.ok, reply.status
    settings = reply.json()
    assert settings["schema"]["properties"]["fetchNews"]["default"] == "false"
    assert settings["settings"].get("fetchNews", "false") == "false"
    page.goto(f"{hub.url}user/{STUDENT}/lab")
    expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=60_000)
    page.wait_for_timeout(3_000)  # the question is a toast shortly after start-up
    expect(page.get_by_text("official Jupyter news")).to_have_count(0)
    shot(page, "student-lab-no-news-question")
