"""The sandbox: honest answers cross the boundary intact; hostile code is contained.

Two warm sandboxes without torch serve the module (no test needs torch preloaded): a tight
one for most tests, and a roomy one for children that import torch (or lrlab) themselves.
"""
from __future__ import annotations

import errno
import math
import os
import shutil
import socket
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.checks import LocalStudent, StudentError, StudentUnavailable
from autograder.protocol import CellTimedOut
from autograder.checks.reference import run_program
from autograder.reasons import Reason
from autograder.sandbox import Limits, Part, Sandbox
from autograder.sandbox._server import _live_processes
from autograder.sandbox.policy import POLICY

ROOT = Path(__file__).resolve().parents[1]
SECRET = "hidden-test-secret-7f3a"
LIMITS = Limits(cell_seconds=30, call_seconds=2, check_seconds=30, memory_bytes=512 << 20, cpu_seconds=30,
                max_processes=32, file_bytes=4 << 20, disk_bytes=16 << 20, output_bytes=256 << 10)


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("course")
    (root / "gradebook.db").write_text(SECRET)
    for sub in ("source/ps1", "submitted/alice/ps1", "autograded/bob/ps1", "feedback/bob/ps1", "outcomes"):
        (root / sub).mkdir(parents=True)
        (root / sub / "secret.txt").write_text(SECRET)
    return root


@pytest.fixture(scope="module")
def sandbox(course: Path):
    os.environ["LRLAB_TEST_SECRET"] = SECRET  # must not reach the children
    try:
        with Sandbox(course, LIMITS, preload=()) as sb:  # no test here needs torch
            yield sb
    finally:
        os.environ.pop("LRLAB_TEST_SECRET", None)


@pytest.fixture(scope="module")
def roomy_sandbox(course: Path):
    """A torch-free warm parent with room for a child that imports torch (or lrlab) itself."""
    limits = replace(LIMITS, cell_seconds=60, call_seconds=20, check_seconds=60, memory_bytes=2 << 30, cpu_seconds=60)
    with Sandbox(course, limits, preload=()) as sb:
        yield sb


def worker(sandbox: Sandbox, source: str, setup: str = "import numpy as np\n"):
    return sandbox.load([("setup:0", setup), ("answer", source)])


# --------------------------------------------------------------------------- honest code

HONEST = '''
import math
def f(x):
    return np.float64(x) * 2
def many():
    return [1, 2.5, "s", None, True, (3, 4), {"k": np.int64(7)}, float("nan"), math.inf, object()]
def boom(kind):
    if kind == "value":
        raise ValueError("bad value")
    raise KeyError(kind)
def noisy(x):
    import warnings
    warnings.warn("careful")
    print("some output")
    return x + 1
NAME = "value"
'''


def _has_cap_sys_admin() -> bool:
    caps = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("CapEff:"))
    return bool(int(caps.split()[1], 16) & (1 << 21))


def test_isolation_is_reported(sandbox: Sandbox) -> None:
    """The level is what this environment allows (the other paths: tests/test_isolation_paths.py)."""
    report = sandbox.isolation
    level = report.level
    parts = str(level).split("+")  # the written form, in the policy's order
    assert Part.RLIMITS in level and report.details["hidden_modules_absent"] is True
    assert (Part.SECCOMP in level) is report.details["seccomp"] is True, report.describe()  # pyseccomp is pinned
    if os.geteuid() == 0 and _has_cap_sys_admin():  # real root: CI and this machine
        assert report.details["namespace_path"] == "root"
        assert parts[:6] == ["netns", "mountns", "pidns", "pidns-per-child", "uid", "seccomp"], report.describe()
    elif os.geteuid() == 0 and report.details["user_namespace"]:  # root without CAP_SYS_ADMIN
        assert report.details["namespace_path"] == "userns-root"
        assert parts[:7] == ["netns", "mountns", "pidns", "pidns-per-child", "userns", "uid", "seccomp"], \
            report.describe()
    assert level.separates_students, report.describe()


def test_honest_answers_match_local_student(sandbox: Sandbox) -> None:
    program = [("setup:0", "import numpy as np\n"), ("answer", HONEST)]
    local = LocalStudent(run_program(program))
    with sandbox.load(program) as student:
        assert student.load_errors == {}
        assert student.has("f") and not student.has("nope")
        for name, args in (("f", [3]), ("f", [0.25]), ("noisy", [1])):
            got, want = student.call(name, *args), local.call(name, *args)
            assert got == want and type(got) is type(want)
        many = student.call("many")
        want = local.call("many")
        assert math.isnan(many[7]) and many[:7] == want[:7] and many[8:] == want[8:]
        assert many[9] == {"__unsupported__": "object"}
        assert student.get("NAME") == "value"
        with pytest.raises(StudentError) as err:
            student.call("boom", "value")
        assert err.value.is_a("ValueError") and "bad value" in err.value.message
        results = student.call_many("boom", [(["value"], {}), (["other"], {})])
        assert [type(r) for r in results] == [StudentError, StudentError]
        assert results[1].is_a("KeyError") and results[1].is_a("LookupError")
        assert student.call_many("f", [([1], {}), ([2], {})]) == [2.0, 4.0]
        with pytest.raises(StudentError) as err:
            student.call("missing")
        assert err.value.is_a("NameError")
        with pytest.raises(KeyError):
            student.op("no_such_operation")


def test_load_errors_are_reported_and_loading_continues(sandbox: Sandbox) -> None:
    program = [("setup:0", "%matplotlib inline\nimport numpy as np"), ("a", "raise ValueError('no good')"),
               ("b", "def g():\n    return 5"), ("c", "def broken(:\n")]
    with sandbox.load(program) as student:
        assert student.load_errors["a"] == "ValueError: no good"
        assert student.load_errors["c"].startswith("SyntaxError") and "setup:0" not in student.load_errors
        assert student.call("g") == 5


# --------------------------------------------------------------------------- ending the process


@pytest.fixture()
def short_limits(sandbox: Sandbox):
    """The sandbox with short time limits for one test (1.5 s per cell, 1 s per call, 2 s per check)."""
    normal = sandbox.limits
    sandbox.limits = replace(normal, cell_seconds=1.5, call_seconds=1, check_seconds=2)
    try:
        yield sandbox
    finally:
        sandbox.limits = normal


def test_a_cell_past_its_limit_stops_the_load_and_names_the_cell(short_limits: Sandbox) -> None:
    """Each cell has its own limit, measured from the end of the cell before: the slow cell is
    named (the caller loads the rest without it), its processes are gone, and a cell that takes
    most of its limit after another that did too still loads."""
    slow = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    pass"
    program = [("setup:0", "import time"), ("a", "time.sleep(1.0)\ndef f():\n    return 1"),
               ("b", "time.sleep(1.0)"), ("slow", slow), ("c", "def g():\n    return 2")]
    t0 = time.monotonic()
    with pytest.raises(CellTimedOut) as err:
        short_limits.load(program)
    assert err.value.cell == "slow" and err.value.reason is Reason.TIMEOUT and "1.5 s" in err.value.error
    assert time.monotonic() - t0 < 2.0 + 1.5 + 2
    with short_limits.load([cell for cell in program if cell[0] != "slow"]) as student:
        assert (student.call("f"), student.call("g")) == (1, 2) and student.load_errors == {}


def test_the_requests_of_one_check_share_its_budget(short_limits: Sandbox) -> None:
    """Each call has its own limit, and one check's calls together have theirs (in the child's
    CPU time): the third call of 0.8 s passes the 2 s of one check, a new check starts a new
    budget, and the time the check spends between its calls (judging on the trusted side) is not
    the student's."""
    busy = "import time\ndef f():\n    t = time.process_time()\n    while time.process_time() - t < 0.8:\n        pass\n    return 1"
    with worker(short_limits, busy) as student:
        assert student.call("f") == 1
        time.sleep(1.5)
        assert student.call("f") == 1
        student.new_check()
        assert student.call("f") == 1 and student.call("f") == 1
        with pytest.raises(StudentUnavailable) as err:
            student.call("f")
        assert err.value.reason is Reason.TIMEOUT



@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("while True:\n        pass", Reason.TIMEOUT),
        ("import os; os._exit(3)", Reason.KERNEL_DIED),
        ("import ctypes; ctypes.string_at(0)", Reason.KERNEL_DIED),
        ("return bytearray(10**12)", Reason.MEMORY),
        ("print('x' * 10**7)", Reason.OUTPUT_FLOOD),
    ],
)
def test_hostile_calls_make_the_student_unavailable(sandbox: Sandbox, body: str, reason: Reason) -> None:
    student = worker(sandbox, f"def f():\n    {body}\n")
    with pytest.raises(StudentUnavailable) as err:
        student.call("f")
    assert err.value.reason is reason
    assert not student.alive
    with pytest.raises(StudentUnavailable):
        student.call("f")
    student.close()
    if sandbox.isolation.details["uid_drop"]:
        _wait_until(lambda: not _live_processes(student.uid))


def test_a_sigkill_we_did_not_send_reads_as_memory(sandbox: Sandbox) -> None:
    """The kernel's out-of-memory killer ends a child with SIGKILL. A child that is pid 1 of
    its own PID namespace cannot send itself one (the kernel ignores it); elsewhere it can,
    and that reads as the OOM killer's."""
    from autograder.sandbox.connection import death_reason

    assert death_reason({"signal": 9, "code": None}) is Reason.MEMORY
    assert death_reason({"signal": 24, "code": None}) is Reason.TIMEOUT  # SIGXCPU: its CPU rlimit
    student = worker(sandbox, "def f():\n    import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)\n"
                              "    return os.getpid()\n")
    with student:
        if Part.PIDNS_PER_CHILD in sandbox.isolation.level:
            assert student.call("f") == 1
        else:
            with pytest.raises(StudentUnavailable) as err:
                student.call("f")
            assert err.value.reason is Reason.MEMORY


def test_timeout_kills_the_whole_group_and_escaped_sessions(sandbox: Sandbox) -> None:
    _require_uid_per_child(sandbox)
    source = '''
import os, time
def spawn():
    pids = []
    for i in range(3):
        pid = os.fork()
        if pid == 0:
            if i == 2:
                try:
                    os.setsid()  # tries to leave the process group (refused: seccomp)
                except OSError:
                    pass
            time.sleep(1000)
            os._exit(0)
        pids.append(pid)
    return pids
def hang():
    time.sleep(1000)
'''
    student = worker(sandbox, source)
    uid = student.uid
    assert len(student.call("spawn")) == 3
    assert len(_live_processes(uid)) == 4
    t0 = time.monotonic()
    with pytest.raises(StudentUnavailable) as err:
        student.call("hang")
    # Asleep, it uses no CPU time: the wall-clock backstop ends it.
    assert err.value.reason == "timeout" and time.monotonic() - t0 < LIMITS.call_seconds * LIMITS.wall_factor + 2
    _wait_until(lambda: not _live_processes(uid))


def test_fork_bomb_is_capped_and_cleaned_up(sandbox: Sandbox) -> None:
    _require_uid_per_child(sandbox)
    source = '''
import os
def bomb():
    while True:
        try:
            os.fork()
        except OSError:
            pass
'''
    student = worker(sandbox, source)
    uid = student.uid
    with pytest.raises(StudentUnavailable):
        student.call("bomb")
    student.close()
    _wait_until(lambda: not _live_processes(uid))


def test_disk_fill_fails_inside_the_sandbox(sandbox: Sandbox) -> None:
    source = '''
import os
def big_file():
    with open("big.bin", "wb") as fh:
        fh.write(b"x" * (64 << 20))
def many_files():
    for i in range(100):
        with open(f"f{i}.bin", "wb") as fh:
            fh.write(b"x" * (2 << 20))
def where():
    return [os.getcwd(), os.environ["HOME"], os.environ["TMPDIR"]]
'''
    with worker(sandbox, source) as student:
        for name in ("big_file", "many_files"):
            with pytest.raises(StudentError) as err:
                student.call(name)
            assert err.value.is_a("OSError")
        assert student.call("where") == ["/tmp", "/tmp", "/tmp"]


def test_forged_protocol_messages_are_rejected(sandbox: Sandbox) -> None:
    source = r'''
import os
def deep():
    os.write(3, b'{"id": 1, "ok": ' + b'[' * 100000 + b'\n')
def huge():
    os.write(3, b'{"id": 1, "ok": "' + b'x' * (8 << 20) + b'"}\n')
def not_plain():
    return {1: "int keys are dropped", "k": {1, 2}}
'''
    with worker(sandbox, source) as student:
        assert student.call("not_plain") == {"k": {"__unsupported__": "set"}}
    for name, reason in (("deep", Reason.KERNEL_DIED), ("huge", Reason.OUTPUT_FLOOD)):
        with worker(sandbox, source) as student, pytest.raises(StudentUnavailable) as err:
            student.call(name)
        assert err.value.reason is reason


def test_outputs_reported_by_the_child_are_rebuilt() -> None:
    from nbformat.v4 import new_output

    from autograder.sandbox.outputs import clean_outputs

    forged = [
        {"output_type": "stream", "name": "stdout", "text": "ok\n"},
        {"output_type": "stream", "name": "stdin", "text": "bad stream name"},
        {"output_type": "execute_result", "data": {"text/plain": ["4", "2"], "bad": 1}, "metadata": {"x": float("nan")},
         "execution_count": "7"},
        {"output_type": "display_data", "data": {"image/png": 42}, "metadata": {}},
        {"output_type": "error", "ename": 1, "evalue": None, "traceback": "not a list"},
        {"output_type": "javascript", "data": {}},
        "not a dict",
    ]
    clean = clean_outputs(forged, new_output)
    assert [o.output_type for o in clean] == ["stream", "execute_result", "display_data", "error"]
    assert clean[1].data == {"text/plain": "42"} and clean[1].metadata == {} and clean[1].execution_count is None
    assert clean[2].data == {} and clean[3].traceback == []
    nb = new_notebook(cells=[new_code_cell("x", outputs=clean)])
    nbformat.validate(nb)


# --------------------------------------------------------------------------- reading and writing outside


PROBE = '''
import os, socket
def can_read(path):
    try:
        with open(path, "rb") as fh:
            return fh.read(100).decode("utf-8", "replace")
    except OSError as exc:
        return type(exc).__name__
def listing(path):
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return type(exc).__name__
def can_write(path):
    try:
        with open(path, "a") as fh:
            fh.write("tampered")
        return "written"
    except OSError as exc:
        return type(exc).__name__
def connect(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return "connected"
    except OSError as exc:
        return type(exc).__name__
def environment():
    import ctypes
    libc = ctypes.CDLL(None)
    environ = ctypes.POINTER(ctypes.c_char_p).in_dll(libc, "environ")
    raw, i = [], 0
    while environ[i]:  # the C-level environment block, not just os.environ
        raw.append(environ[i].decode("utf-8", "replace"))
        i += 1
    caps = [line.split()[1] for line in open("/proc/self/status") if line.startswith(("CapEff", "CapBnd"))]
    return [dict(os.environ), raw, os.getuid(), os.getgid(), os.getgroups(), caps]
def parent_memory():
    try:
        with open(f"/proc/{os.getppid()}/mem", "rb") as fh:
            return "readable"
    except OSError as exc:
        return type(exc).__name__
def open_fds():
    return sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
def imports():
    import lrlab
    out = [lrlab.__name__]
    for name in ("autograder.assignments.ps1_schedulers.checks", "autograder.assignments.ps2_diagnosing_curves.checks",
                 "autograder.grading.scorer"):
        try:
            __import__(name)
            out.append(name)
        except Exception as exc:
            out.append(type(exc).__name__)
    return out
'''


def test_hidden_paths_are_unreadable_and_unwritable(roomy_sandbox: Sandbox, course: Path) -> None:
    """Also: lrlab (bound back read-only) imports lazily, with torch, in a torch-free warm parent."""
    private = [course / "gradebook.db", course / "source/ps1/secret.txt", course / "submitted/alice/ps1/secret.txt",
               course / "autograded/bob/ps1/secret.txt", ROOT / "autograder/checks/base.py",
               ROOT / "autograder/assignments/ps1_schedulers/checks.py", ROOT / "tests/test_sandbox.py",
               ROOT / ".git/HEAD"]
    with worker(roomy_sandbox, PROBE) as student:
        for path in private:
            assert student.call("can_read", str(path)) in ("FileNotFoundError", "PermissionError"), path
            assert student.call("can_write", str(path)) in ("FileNotFoundError", "PermissionError",
                                                            "OSError"), path
        for directory in (course, ROOT / "autograder", ROOT / "source", ROOT / "submitted"):
            assert student.call("listing", str(directory)) in ([], "FileNotFoundError", "PermissionError")
        # In the child's own view the repo root holds the allowed paths and nothing else (also
        # when the clone lives under /tmp: a folder of the child's own private /tmp, with the
        # kept paths bound back); with Landlock alone it cannot even be listed.
        kept = sorted(p for p in (".venv", "lrlab") if (ROOT / p).exists())
        details = roomy_sandbox.isolation.details
        own_view = details["file_view"]
        assert student.call("listing", str(ROOT)) == (kept if own_view else "PermissionError")
        assert student.call("imports") == ["lrlab", "ModuleNotFoundError", "ModuleNotFoundError",
                                           "ModuleNotFoundError"]
        assert student.call("parent_memory") in ("PermissionError", "FileNotFoundError")
        assert student.call("open_fds") == [0, 1, 2, 3, 4, 5]  # 4: the report descriptor, 5: listdir's own
    assert (course / "gradebook.db").read_text() == SECRET
    assert (course / "submitted/alice/ps1/secret.txt").read_text() == SECRET


TMP_PROBE = PROBE + '''
def lazy_import(name, path=None):
    import importlib, sys
    if path is not None:
        sys.path.insert(0, path)
    try:
        was_loaded = name in sys.modules
        module = importlib.import_module(name)
        return [was_loaded, getattr(module, "VALUE", None) or getattr(module, "__file__", None)]
    except Exception as exc:
        return [type(exc).__name__, str(exc)]
def scratch():
    with open("scratch.txt", "w") as fh:
        fh.write("mine")
    return [os.getcwd(), open("/tmp/scratch.txt").read(), os.environ["TMPDIR"]]
'''


def test_kept_paths_under_tmp_survive_the_private_tmp() -> None:
    """A course, venv and lrlab under /tmp (CI clones into a temp folder): each child's private
    /tmp must neither hide what the warm parent binds back nor reveal what it hides."""
    base = Path(tempfile.mkdtemp(prefix="lrlab-course-under-tmp-", dir="/tmp"))
    try:
        course = base / "course"
        site = course / ".venv" / "lib" / "site-packages"  # stands for a venv cloned under /tmp
        site.mkdir(parents=True)
        (site / "lrlab_lazy_probe.py").write_text("VALUE = 42\n")
        (course / "lrlab").mkdir()
        (course / "lrlab" / "kept.txt").write_text("kept")
        (course / "gradebook.db").write_text(SECRET)
        for sub in ("source/ps1", "submitted/alice/ps1", "autograder/checks", "tests"):
            (course / sub).mkdir(parents=True)
            (course / sub / "secret.txt").write_text(SECRET)
        with Sandbox(course, LIMITS, keep=(course / ".venv", course / "lrlab"), preload=()) as sb, \
                worker(sb, TMP_PROBE) as student:
            assert student.load_errors == {}
            # The kept paths are there, readable, importable and read-only ...
            assert student.call("listing", str(course)) == [".venv", "lrlab"]
            assert student.call("listing", str(base)) == ["course"]
            assert student.call("can_read", str(course / "lrlab/kept.txt")) == "kept"
            assert student.call("lazy_import", "lrlab_lazy_probe", str(site)) == [False, 42]
            for path in (course / "lrlab/kept.txt", course / "lrlab/new.txt", site / "evil.py"):
                assert student.call("can_write", str(path)) in ("PermissionError", "OSError"), path
            # ... a module of the real venv that nothing imported yet still imports lazily ...
            was_loaded, where = student.call("lazy_import", "IPython.core.magics.pylab")
            assert was_loaded is False and str(where).endswith("pylab.py"), where
            # ... the rest of the course root stays hidden ...
            for path in ("gradebook.db", "source/ps1/secret.txt", "submitted/alice/ps1/secret.txt",
                         "autograder/checks/secret.txt", "tests/secret.txt"):
                assert student.call("can_read", str(course / path)) in ("FileNotFoundError", "PermissionError")
                assert student.call("can_write", str(course / path)) in ("FileNotFoundError", "PermissionError",
                                                                        "OSError")
            # ... and the child's own /tmp stays private and writable.
            assert student.call("scratch") == ["/tmp", "mine", "/tmp"]
            student.call("can_write", str(base / "escape.txt"))
            student.call("can_write", str(course / "escape.txt"))
            assert not (base / "escape.txt").exists() and not (course / "escape.txt").exists()
            assert not Path("/tmp/scratch.txt").exists() or Path("/tmp/scratch.txt").read_text() != "mine"
            nb = _notebook("%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])",
                           f"print(open({str(course / 'lrlab/kept.txt')!r}).read())")
            result = sb.execute_notebook(nb, cell_timeout=30, total_timeout=60)
            assert result.ok and not any(result.cell_errors), result.notebook
            assert result.notebook.cells[2].outputs[0]["text"] == "kept\n"
        assert (course / "gradebook.db").read_text() == SECRET
        assert sorted(p.name for p in (course / "lrlab").iterdir()) == ["kept.txt"]
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_no_network(sandbox: Sandbox) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    try:
        with worker(sandbox, PROBE) as student:
            assert student.call("connect", port) != "connected"
    finally:
        listener.close()


def test_concurrent_students_cannot_talk(sandbox: Sandbox) -> None:
    source = '''
import socket
def listen():
    global LISTENER
    LISTENER = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    LISTENER.bind("\\0lrlab-covert-channel")
    LISTENER.listen()
    return "listening"
def talk():
    try:
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).connect("\\0lrlab-covert-channel")
        return "connected"
    except OSError as exc:
        return type(exc).__name__
'''
    with worker(sandbox, source) as alice, worker(sandbox, source) as bob:
        assert alice.call("listen") == "listening"
        assert bob.call("talk") == "ConnectionRefusedError"


def test_environment_is_scrubbed_and_uid_dropped(sandbox: Sandbox) -> None:
    with worker(sandbox, PROBE) as student:
        env, raw, uid, gid, groups, caps = student.call("environment")
    assert caps == ["0000000000000000", "0000000000000000"]  # no capabilities, none to regain
    assert SECRET not in raw and SECRET not in str(env)
    assert set(env) <= {"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                        "OPENBLAS_NUM_THREADS", "MPLBACKEND", "MPLCONFIGDIR", "IPYTHONDIR",
                        "PYTHONDONTWRITEBYTECODE"}
    assert env["OMP_NUM_THREADS"] == "1" and "PYTHONPATH" not in env
    if sandbox.isolation.details["uid_drop"]:
        assert uid != 0 and gid != 0 and groups == []


def _syscall_numbers(names: tuple[str, ...]) -> dict[str, int]:
    import pyseccomp

    numbers = {n: pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, n) for n in names}
    return {n: nr for n, nr in numbers.items() if nr >= 0}


SYSCALL_PROBE = '''
import ctypes, threading
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
def attempt(numbers):
    """Each system call with all-zero arguments: its errno (0 when it succeeded)."""
    out = {}
    for name, nr in numbers.items():
        ctypes.set_errno(0)
        result = _libc.syscall(nr, 0, 0, 0, 0, 0, 0)
        out[name] = ctypes.get_errno() if result == -1 else 0
    return out
def seccomp_mode():
    return [l.split()[1] for l in open("/proc/self/status") if l.startswith("Seccomp:")][0]
def thread_runs():
    seen = []
    t = threading.Thread(target=seen.append, args=[1])
    t.start(); t.join()
    return seen == [1]
'''


@pytest.mark.parametrize("family", sorted(POLICY.seccomp_denied))
def test_seccomp_denies_each_family(sandbox: Sandbox, family: str) -> None:
    """Red team: every system call of a denied family fails with the filter's ENOSYS, which
    neither success nor a plain lack of privilege (EPERM) would give."""
    if not sandbox.isolation.details["seccomp"]:
        pytest.skip(f"no seccomp here: {sandbox.isolation.details.get('seccomp_error')}")
    numbers = _syscall_numbers(POLICY.seccomp_denied[family])
    assert numbers, family
    with worker(sandbox, SYSCALL_PROBE) as student:
        assert student.call("seccomp_mode") == "2"
        assert student.call("attempt", numbers) == {name: errno.ENOSYS for name in numbers}
        assert student.call("attempt", _syscall_numbers(("getppid",))) == {"getppid": 0}  # the probe works
        assert student.call("thread_runs") is True  # clone3 denied: glibc falls back to clone


def test_seccomp_denies_namespaces_through_clone(sandbox: Sandbox) -> None:
    """Red team: clone with a namespace flag (and clone3) are refused as well as unshare."""
    if not sandbox.isolation.details["seccomp"]:
        pytest.skip("no seccomp here")
    source = SYSCALL_PROBE + '''
import os, signal
def clone_with(flag):
    ctypes.set_errno(0)
    pid = _libc.syscall(NR_CLONE, flag | signal.SIGCHLD, 0, 0, 0, 0)
    if pid == 0:
        os._exit(0)
    if pid > 0:
        os.waitpid(pid, 0)
        return 0
    return ctypes.get_errno()
'''.replace("NR_CLONE", str(_syscall_numbers(("clone",))["clone"]))
    with worker(sandbox, source) as student:
        for flag in (0x10000000, 0x20000000, 0x40000000, 0x00020000):  # user, pid, net, mount
            assert student.call("clone_with", flag) == errno.ENOSYS
        assert student.call("clone_with", 0) == 0  # a plain fork still works


def test_memory_cgroup_limits_each_child(sandbox: Sandbox) -> None:
    """Where a memory cgroup can be made, each child has its own (above the per-process
    rlimit, which stops a single process first), and it caps what the rlimit cannot: the
    child's processes together. Four processes, each well within its rlimit, are OOM-killed
    as a group. Elsewhere RLIMIT_AS alone (per process)."""
    from autograder.sandbox._cgroup import group_limit

    details = sandbox.isolation.details
    if not details["memory"].startswith("cgroup"):
        assert details["memory"] == "rlimit_as" and Part.MEMCG not in sandbox.isolation.level
        pytest.skip(f"no memory cgroup here: {details.get('memory_cgroup_error')}")
    assert Part.MEMCG in sandbox.isolation.level
    source = '''
def cgroups():
    return open("/proc/self/cgroup").read().splitlines()
'''
    with worker(sandbox, source) as student:  # its cgroups, read from here (its view has no /sys)
        paths = {line.split(":")[1]: line.split(":", 2)[2] for line in student.call("cgroups")}
        limits = {}
        for version, controller, file in (("cgroup1", "memory", "memory.limit_in_bytes"), ("cgroup2", "", "memory.max")):
            if details["memory"] == version:
                root = Path("/sys/fs/cgroup") / ("memory" if controller else "")
                limits["memory"] = int((root / paths[controller].lstrip("/") / file).read_text().split()[0])
        assert paths["memory" if details["memory"] == "cgroup1" else ""].rsplit("/", 1)[1].startswith("child-")
        assert limits["memory"] == group_limit(LIMITS.memory_bytes)
    part = int(LIMITS.memory_bytes * 0.6)  # 4 x 0.6 = 2.4 times the rlimit, 1.6 times the cgroup's
    cell = f"""
import os, time
pids = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        block = b'x' * {part}
        time.sleep(3)
        os._exit(0)
    pids.append(pid)
print(sorted(os.WTERMSIG(s) if os.WIFSIGNALED(s) else 0 for s in (os.waitpid(p, 0)[1] for p in pids)))
"""
    # Reclaim before the OOM kill takes seconds under load: a notebook cell has the time.
    result = sandbox.execute_notebook(_notebook(cell), cell_timeout=60, total_timeout=90)
    if result.failure is None:  # the OOM killer chose one (or more) of the four
        text = result.notebook.cells[1].outputs[0]["text"]
        assert "9" in text.strip("[]\n").split(", "), text
    else:
        assert result.failure is Reason.MEMORY, result.message


def test_cpu_and_pids_cgroups_limit_each_child(sandbox: Sandbox) -> None:
    """Where CPU and processes cgroups can be made (v1 here), a child's processes together get
    at most ``cpu_share`` CPUs and ``max_processes`` processes: three busy loops for 1.5 s use
    at most 1.5 s of CPU time between them (about 3 s on two free cores without the quota)."""
    level = sandbox.isolation.level
    if Part.CPUCG not in level or Part.PIDSCG not in level or sandbox.isolation.details["memory"] != "cgroup1":
        pytest.skip(f"no v1 CPU and processes cgroups here: {sandbox.isolation.describe()}")
    source = '''
import os, time
def cgroups():
    return open("/proc/self/cgroup").read().splitlines()
def burn(n, seconds):
    pids = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                pass
            os._exit(0)
        pids.append(pid)
    used = 0.0
    for pid in pids:
        usage = os.wait4(pid, 0)[2]
        used += usage.ru_utime + usage.ru_stime
    return used
'''
    limits = replace(LIMITS, call_seconds=10)
    with Sandbox(sandbox.course_root, limits, preload=()) as roomy, worker(roomy, source) as student:
        paths = {line.split(":")[1]: line.split(":", 2)[2].lstrip("/") for line in student.call("cgroups")}
        cgroup = Path("/sys/fs/cgroup")
        assert int((cgroup / "cpu" / paths["cpu"] / "cpu.cfs_quota_us").read_text()) == int(100_000 * limits.cpu_share)
        assert int((cgroup / "pids" / paths["pids"] / "pids.max").read_text()) == limits.max_processes
        assert student.call("burn", 3, 1.5) <= 1.5 * limits.cpu_share * 1.2


def test_uid_blocks_are_unique_across_grading_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Concurrent graders never share a uid block (a shared one would let one grader's final
    sweep kill another's children); a block is free again once its holder is gone."""
    import subprocess
    import sys

    from autograder.sandbox import _uids

    folder = tmp_path / "locks"
    monkeypatch.setattr(_uids, "LOCK_DIRS", (str(folder),))
    held = subprocess.Popen(  # another grading process holding the first block
        [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); from autograder.sandbox import _uids;"
         "_uids.LOCK_DIRS = (sys.argv[2],); print(_uids.acquire(1000, 10, 5)[0], flush=True); sys.stdin.read()",
         str(ROOT), str(folder)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert held.stdout.readline().strip() == "1000"
        first, fd1 = _uids.acquire(1000, 10, 5)
        second, fd2 = _uids.acquire(1000, 10, 5)
        assert (first, second) == (1010, 1020)
        os.close(fd1)
        assert _uids.acquire(1000, 10, 5)[0] == 1010  # released: the lowest free block again
    finally:
        held.stdin.close()
        held.wait()
    assert _uids.acquire(1000, 10, 5)[0] == 1000  # its holder ended: free
    with pytest.raises(_uids.NoFreeBlock):
        for _ in range(5):
            _uids.acquire(1000, 10, 5)


def test_children_uids_come_from_a_locked_block(sandbox: Sandbox) -> None:
    if not sandbox.isolation.details["uid_drop"]:
        pytest.skip("no uid per child here")
    from autograder.sandbox import _uids

    with worker(sandbox, "import os\ndef uid():\n    return os.getuid()\n") as student:
        uid = student.call("uid")
    block = (uid - POLICY.uids.first_uid) // POLICY.uids.uids_per_sandbox
    lock = Path(_uids._lock_dir()) / f"block-{block}"
    fd = os.open(lock, os.O_RDWR)
    try:
        import fcntl

        with pytest.raises(BlockingIOError):  # held by this test's sandbox
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- notebooks


def _notebook(*sources: str):
    return new_notebook(cells=[new_markdown_cell("# title")] + [new_code_cell(s) for s in sources])


def test_execute_notebook_produces_standard_outputs(sandbox: Sandbox) -> None:
    nb = _notebook(
        "print('hello')\n1 + 1",
        "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.title('loss');",
        "from IPython.display import display, HTML\ndisplay(HTML('<b>bold</b>'))",
        "import warnings\nwarnings.warn('careful')",
        "1 / 0",
        "open('gradebook.db').read()",
        "x = 41\nx + 1",
    )
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="forged")]
    result = sandbox.execute_notebook(nb, cell_timeout=20, total_timeout=60)
    assert result.ok, result.message
    cells = result.notebook.cells
    assert result.cell_errors == [False, False, False, False, False, True, True, False]
    assert [o.output_type for o in cells[1].outputs] == ["stream", "execute_result"]
    assert cells[1].outputs[0].text == "hello\n" and cells[1].outputs[1].data["text/plain"] == "2"
    assert cells[2].outputs[-1].output_type == "display_data" and "image/png" in cells[2].outputs[-1].data
    assert cells[3].outputs[0].data["text/html"] == "<b>bold</b>"
    assert cells[4].outputs[0].name == "stderr" and "careful" in cells[4].outputs[0].text
    assert cells[5].outputs[0].output_type == "error" and cells[5].outputs[0].ename == "ZeroDivisionError"
    assert cells[6].outputs[0].ename == "FileNotFoundError"
    assert cells[7].outputs[0].data["text/plain"] == "42" and cells[7].execution_count == 7
    nbformat.validate(result.notebook)
    from nbconvert import HTMLExporter

    html, _ = HTMLExporter().from_notebook_node(result.notebook)
    assert "data:image/png;base64" in html and "ZeroDivisionError" in html


LOG_CURVES = """
import matplotlib.pyplot as plt
import numpy as np
def show(ax, k):
    epochs = np.arange(1, 31)
    ax.plot(epochs, 10.0 ** (k - epochs / 3), "-o", markersize=3, label="training loss")
    ax.plot(epochs, 10.0 ** (k - epochs / 4), "--s", markersize=3, label="validation loss")
    ax.set_yscale("log"); ax.set_xlabel("epoch"); ax.set_ylabel("loss (log scale)")
    ax.grid(alpha=0.3, which="both"); ax.legend(fontsize="small"); ax.set_title(f"curve {k}")
"""


def test_figures_after_many_log_scale_plots(sandbox: Sandbox) -> None:
    """Regression: font objects inherited from the warm parent owned descriptors (font files)
    that a child renumbers; once new mathtext (log-scale tick labels) evicted them from
    matplotlib's caches, freeing them closed the child's protocol socket (fd 3) and the
    notebook ended as "kernel_died"."""
    nb = _notebook(
        LOG_CURVES,
        "fig, axes = plt.subplots(2, 3, figsize=(12, 6), layout='constrained')\n"
        "for k, ax in enumerate(axes.flat):\n    show(ax, 3 * k - 8)\nplt.show()",
        "fig, ax = plt.subplots(figsize=(6.5, 3.6))\nshow(ax, 20)",
        # What an eviction does, all at once: the fonts of every cached text go away.
        "import gc\nfrom matplotlib import font_manager, mathtext\n"
        "mathtext.MathTextParser._parse_cached.cache_clear(); font_manager._get_font.cache_clear()\n"
        "gc.collect()\nfig, ax = plt.subplots()\nshow(ax, -20)",
        "print('still talking')",
    )
    assert sandbox.isolation.details["warm_parent_fds_clean"] is True
    result = sandbox.execute_notebook(nb, cell_timeout=20, total_timeout=60)
    assert result.ok, result.message
    assert result.cell_errors == [False] * 6
    cells = result.notebook.cells
    for cell in cells[2:5]:
        assert cell.outputs[-1].output_type == "display_data" and "image/png" in cell.outputs[-1].data
    assert cells[5].outputs[0].text == "still talking\n"


@pytest.mark.parametrize(
    ("source", "status"),
    [
        ("while True:\n    pass", Reason.TIMEOUT),
        ("import os\nos._exit(0)", Reason.KERNEL_DIED),
        ("import ctypes\nctypes.string_at(0)", Reason.KERNEL_DIED),
        ("x = bytearray(10**12)", Reason.MEMORY),
        ("while True:\n    print('x' * 10000)", Reason.OUTPUT_FLOOD),
    ],
)
def test_execute_notebook_contains_failures(sandbox: Sandbox, source: str, status: Reason) -> None:
    result = sandbox.execute_notebook(_notebook("print('before')", source, "print('after')"),
                                      cell_timeout=2, total_timeout=20)
    assert result.failure is status, result.message
    assert result.stopped_at == 2 and result.cell_errors == [False, False, True, False]
    cells = result.notebook.cells
    assert cells[1].outputs[0].text == "before\n" and cells[3].outputs == []
    assert cells[2].outputs[-1].output_type == "error"
    nbformat.validate(result.notebook)


BURN = "import time\nt0 = time.process_time()\nwhile time.process_time() - t0 < {}:\n    pass"


def test_total_timeout(sandbox: Sandbox) -> None:
    """Judged in the child's CPU time: two cells of 0.8 s exceed 1.2 s; a cell asleep uses none
    (the wall clock stops it at the backstop, ``wall_factor`` times the limit)."""
    result = sandbox.execute_notebook(_notebook(BURN.format(0.8), BURN.format(0.8), "1"), cell_timeout=5,
                                      total_timeout=1.2)
    assert result.failure is Reason.TIMEOUT and result.stopped_at == 2
    result = sandbox.execute_notebook(_notebook("import time\ntime.sleep(0.8)", "time.sleep(0.8)", "1"),
                                      cell_timeout=5, total_timeout=1.2)
    assert result.ok and result.seconds < 1.2 * LIMITS.wall_factor


# --------------------------------------------------------------------------- tripwire without torch

TORCH_PROBE = '''
import sys
def torch_loaded():
    return sorted(m for m in ("torch", "torch.optim.lr_scheduler", "lrlab") if m in sys.modules)
'''


def test_a_torch_free_child_does_not_import_torch(sandbox: Sandbox) -> None:
    """The tripwire is armed in every answer child, yet a warm parent without torch stays without."""
    with worker(sandbox, TORCH_PROBE) as student:
        assert student.load_errors == {}
        assert student.call("torch_loaded") == []


LATE_SCHEDULER = '''
import importlib
_schedulers = importlib.import_module("torch.optim.lr_" + "scheduler")
def late():
    import torch
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    getattr(_schedulers, "Step" + "LR")(optimizer, step_size=1)
    return 1
'''
UNHOOKED_SCHEDULER = '''
import sys
sys.meta_path[:] = [f for f in sys.meta_path if "tripwire" not in type(f).__module__]
import torch
import torch.optim.lr_scheduler as _schedulers
def late():
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    getattr(_schedulers, "Step" + "LR")(optimizer, step_size=1)
    return 1
'''


def test_the_tripwire_arms_when_the_student_imports_torch_later(roomy_sandbox: Sandbox) -> None:
    with worker(roomy_sandbox, LATE_SCHEDULER) as student:
        assert student.load_errors == {}
        assert student.call("late") == 1
        report = student.op("tripwire_report", nonce="late")
    assert report["armed"] is True and ["answer", "StepLR"] in report["uses"], report


def test_removing_the_import_hook_shows_as_a_disarmed_wire(roomy_sandbox: Sandbox) -> None:
    with worker(roomy_sandbox, UNHOOKED_SCHEDULER) as student:
        assert student.load_errors == {}
        assert student.call("late") == 1
        report = student.op("tripwire_report", nonce="unhooked")
    assert report["armed"] is False and report["uses"] == []


# --------------------------------------------------------------------------- lifetime


def test_a_door_shares_the_warm_parent_and_a_closed_connection_kills_its_children(sandbox: Sandbox) -> None:
    """A pool process opens its own connection through the door; closing it (or dying) ends
    every process it spawned, while the owner's sandbox keeps serving."""
    _require_uid_per_child(sandbox)
    other = sandbox.door().open(timeout=60)
    assert other.isolation.level == sandbox.isolation.level and other.server_pid is None
    student = other.load([("a", "import contextlib, os, time\nif os.fork() == 0:\n    with contextlib.suppress(OSError):\n        os.setsid()\n    time.sleep(1000)\n"
                                  "def f(x):\n    return x * 2\n")])
    assert student.call("f", 21) == 42
    uid = student.uid
    assert len(_live_processes(uid)) == 2
    other._connection.sock.close()  # as if the pool process died: the warm parent notices the connection close
    _wait_until(lambda: not _live_processes(uid))
    other.close()
    with worker(sandbox, "def g(x):\n    return x + 1\n") as mine:
        assert mine.call("g", 1) == 2


def test_nothing_survives_close(sandbox: Sandbox) -> None:
    """Runs last: closes the module's sandbox."""
    _require_uid_per_child(sandbox)
    student = sandbox.load([("a", "import contextlib, os, time\nif os.fork() == 0:\n    with contextlib.suppress(OSError):\n        os.setsid()\n    time.sleep(1000)\n")])
    uid, server = student.uid, sandbox.server_pid
    assert len(_live_processes(uid)) == 2
    sandbox.close()
    assert not _live_processes(uid)
    assert not Path(f"/proc/{server}").exists() or "(zombie)" in _status(server)


# --------------------------------------------------------------------------- helpers


def _require_uid_per_child(sandbox: Sandbox) -> None:
    if not sandbox.isolation.details["uid_drop"]:
        pytest.skip("needs one uid per child (real root)")


def _status(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "(zombie)"


def _wait_until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


# --------------------------------------------------------------------------- nothing hidden in the warm parent


def test_the_warm_parent_may_hold_harnesses_but_no_check() -> None:
    """What the warm parent refuses to start with (it checks sys.modules after its imports)."""
    from autograder.sandbox._warm import hidden_modules

    harness = ("autograder.assignments.ps1_schedulers.harness",)
    public = ["autograder", "autograder.protocol", "autograder.reasons", "autograder.harness",
              "autograder.harness.tripwire", "autograder.sandbox._child", "autograder.assignments",
              "autograder.assignments.ps1_schedulers", *harness, "lrlab", "torch"]
    hidden = ["autograder.checks", "autograder.checks.base", "autograder.assignments.ps1_schedulers.checks",
              "autograder.assignments.ps1_schedulers.assignment", "autograder.assignments.ps2_diagnosing_curves.harness",
              "autograder.grading.scorer", "autograder.submissions"]
    assert hidden_modules([*public, *hidden], harness) == sorted(hidden)


def test_a_warm_parent_handed_an_assignment_instead_of_a_harness_refuses_to_start(course: Path) -> None:
    from autograder.sandbox import SandboxBroken

    with pytest.raises(SandboxBroken, match="failed to start"):
        Sandbox(course, LIMITS, preload=(), harness=("autograder.assignments.ps2_diagnosing_curves.assignment",))
