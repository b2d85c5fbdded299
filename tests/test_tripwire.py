"""The run-time tripwire on its own (:mod:`autograder.harness.tripwire`) and the trusted end of
its report descriptor (:mod:`autograder.sandbox.hits`), in this process on a made-up module:
functions (however they are reached), classes and their properties; hits that reach the
trusted side at once, so that scrubbing the in-process record gains nothing."""
from __future__ import annotations

import os
import sys
import types
from collections.abc import Iterator

import pytest

from autograder.harness import tripwire
from autograder.sandbox.hits import MAX_BYTES, HitReader

MODULE = "lrlab_tripwire_fixture"
SOURCE = '''
class Helper:
    def __init__(self, x):
        self.x = x
    @property
    def doubled(self):
        return 2 * self.x
CALLS = []
def forbidden(x):
    CALLS.append(x)
    return x + 1
def allowed(x):
    return forbidden(x) * 10
'''


@pytest.fixture()
def wired() -> Iterator[tuple[types.ModuleType, types.ModuleType, HitReader]]:
    """The fixture module, a second module that imported ``forbidden`` under another name
    before the wire was armed, the wire armed on both names, its hits read as the trusted
    side reads a child's report descriptor."""
    module = types.ModuleType(MODULE)
    exec(compile(SOURCE, f"{MODULE}.py", "exec"), module.__dict__)  # noqa: S102 - the test's own module
    alias = types.ModuleType(MODULE + "_alias")
    alias.renamed = module.forbidden
    sys.modules[MODULE], sys.modules[alias.__name__] = module, alias
    ours, theirs = os.pipe()
    reader = HitReader(ours)
    tripwire.arm({MODULE: {"forbidden", "Helper"}})
    tripwire.report_to(theirs)
    try:
        yield module, alias, reader
    finally:
        tripwire.disarm_all()
        os.close(theirs)
        reader.close()
        del sys.modules[MODULE], sys.modules[alias.__name__]


def run_as(label: str, source: str, namespace: dict) -> None:
    """Run ``source`` as an answer cell labelled ``label`` (how a sandboxed child compiles it)."""
    exec(compile(source, f"<{label}>", "exec"), namespace)  # noqa: S102 - the test's own code


def hits(reader: HitReader) -> set[tuple[str, str]]:
    """The hits from this test's labelled cells (pytest-xdist runs tests under exec'd
    ``<string>`` frames, which the wire reports too)."""
    reader.drain()
    return {use for use in reader.hits.uses if use[0] != "string"}


def test_a_function_is_caught_however_it_is_reached(wired) -> None:
    module, alias, reader = wired
    ns = {"importlib": __import__("importlib")}
    run_as("a_answer", f"y = getattr(importlib.import_module({MODULE!r}), 'forbid' + 'den')(1)", ns)
    run_as("b_answer", f"z = importlib.import_module({MODULE!r} + '_alias').renamed(2)", ns)
    run_as("c_answer", f"w = importlib.import_module({MODULE!r}).allowed(3)", ns)  # through an allowed helper
    run_as("d_answer", f"v = importlib.import_module({MODULE!r}).allowed.__name__", ns)  # named, never run
    assert (ns["y"], ns["z"], ns["w"]) == (2, 3, 40)  # the wrapped function still works
    assert hits(reader) == {("a_answer", "forbidden"), ("b_answer", "forbidden"), ("c_answer", "forbidden")}
    tripwire.disarm_all()
    assert alias.renamed is module.forbidden and module.forbidden.__code__.co_name == "forbidden"


def test_a_class_and_its_properties_are_caught(wired) -> None:
    module, _, reader = wired
    helper = module.Helper.__new__(module.Helper)
    helper.x = 4  # built without running __init__
    ns = {"helper": helper}
    run_as("e_answer", "d = helper.doubled", ns)
    run_as("f_answer", f"h = __import__({MODULE!r}).Helper(1)", ns)
    assert ns["d"] == 8
    assert hits(reader) == {("e_answer", "Helper"), ("f_answer", "Helper")}


def test_a_scrubbed_record_gains_nothing_and_the_probe_runs_nothing(wired) -> None:
    """The issue's attack: delete the wire's in-process record after the use. The hit is on
    the trusted side already. The probe exercises every name; a function is only reported."""
    module, _, reader = wired
    run_as("g_answer", f"__import__({MODULE!r}).forbidden(1)\n"
                       "for w in __import__('sys').modules['autograder.harness.trip' + 'wire']._ARMED:\n"
                       "    w.uses = {u for u in w.uses if not u[0].endswith('_answer')}", {})
    assert all(not any(u[0] == "g_answer" for u in w.uses) for w in tripwire._ARMED)  # scrubbed in process
    assert ("g_answer", "forbidden") in hits(reader)  # yet reported
    assert tripwire.report(nonce="n1")["armed"] is True and module.CALLS == [1]
    assert {(f"{tripwire.PROBE_PREFIX}n1", "forbidden"), (f"{tripwire.PROBE_PREFIX}n1", "Helper")} <= hits(reader)


def test_a_wire_switched_off_before_use_misses_its_probe(wired) -> None:
    """Putting the original back before using it: no hit, and no probe hit either (the trusted
    side reads that as a disarmed wire)."""
    module, _, reader = wired
    original = next(value for owner, attr, value in tripwire._ARMED[0]._saved if attr == "forbidden")
    module.forbidden = original
    run_as("h_answer", f"__import__({MODULE!r}).forbidden(1)", {})
    assert tripwire.report(nonce="n2")["armed"] is False
    assert not any(name == "forbidden" for _, name in hits(reader))


def test_the_reader_marks_anything_but_hit_lines() -> None:
    for written, malformed in ((b"a_answer StepLR\n", False), (b"not a hit line\n", True), (b"a_answer StepLR", True),
                               (b"x" * 600, True)):
        ours, theirs = os.pipe()
        reader = HitReader(ours)
        os.write(theirs, written)
        os.close(theirs)
        reader.close()
        assert reader.hits.malformed is malformed, written
    assert MAX_BYTES >= 1 << 20
