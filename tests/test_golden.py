"""The golden check: the grader's decisions on the sample class, every answer set and the
red-team submissions are exactly those recorded in ``tests/golden/grading.json``.

The file was captured with ``python tools/golden.py --update`` on the grader before its
restructuring (issue 16); any change to it is deliberate and its commit says why.
"""
from __future__ import annotations

import json

import pytest

from tools import golden

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def test_grading_matches_the_golden_file(demo_class):
    """The demo class as ``make demo`` graded it (once per session), the rest graded here."""
    assert demo_class.returncode == 0, demo_class.stderr[-3000:]
    expected = json.loads(golden.GOLDEN.read_text())
    actual = golden.capture(workers=2, log=lambda msg: None, graded=demo_class.root)
    diff = golden.differences(expected, actual)
    assert not diff, "the grader decided differently:\n" + "\n".join(diff[:60])
