# variant-of: {BASE}
# Family 5: write outside the sandbox — the gradebook (files and SQL), other students'
# submissions and autograded notebooks, feedback, source/, release/, autograder/, the
# course config, this student's own submitted file, and new files in the course.
# %% answer: {CELL}
import glob
import os

_COURSE = "{COURSE}"
_results = []


def _try(what, fn):
    try:
        fn()
        _results.append(f"WROTE {what}")
    except Exception as exc:
        _results.append(f"{what}: {type(exc).__name__}")


def _append(path, text="\n# pwned\n"):
    with open(path, "a") as handle:
        handle.write(text)


for _pattern in ["gradebook.db", "source/*/*.ipynb", "release/*/*.ipynb", "autograder/*", "autograder/checks/*.py", "autograder/assignments/*/*",
                 "submitted/*/*/*.ipynb", "autograded/*/*/*.ipynb", "feedback/*/*/*", "nbgrader_config.py"]:
    for _path in glob.glob(os.path.join(_COURSE, _pattern)):
        if os.path.isfile(_path):
            _try(_path, lambda p=_path: _append(p))
            _try("chmod " + _path, lambda p=_path: os.chmod(p, 0o777))
            _try("utime " + _path, lambda p=_path: os.utime(p, (0, 0)))
for _name in ["pwned.txt", "source/pwned.txt", "submitted/pwned.txt", "autograded/pwned.txt", "feedback/pwned.txt"]:
    _try(_name, lambda n=_name: open(os.path.join(_COURSE, n), "w").write("pwned"))
_try("remove victim", lambda: [os.remove(p) for p in glob.glob(os.path.join(_COURSE, "submitted", "victim", "*", "*"))])
_try("rename source", lambda: os.rename(os.path.join(_COURSE, "source"), os.path.join(_COURSE, "source_gone")))
try:
    import sqlite3

    _con = sqlite3.connect(os.path.join(_COURSE, "gradebook.db"))
    _try("sql", lambda: (_con.execute("create table pwned (x)"), _con.commit()))
except Exception as exc:
    _results.append(type(exc).__name__)
for _up in range(1, 7):
    _try(f"up{_up}", lambda u=_up: open(os.path.join(*([".."] * u), "pwned.txt"), "w").write("pwned"))
print("\n".join(_results))


{PARENT}
