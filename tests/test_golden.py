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


def test_grading_matches_the_golden_file():
    expected = json.loads(golden.GOLDEN.read_text())
    actual = golden.capture(workers=2, log=lambda msg: None)
    diff = golden.differences(expected, actual)
    assert not diff, "the grader decided differently:\n" + "\n".join(diff[:60])
