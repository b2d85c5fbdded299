"""benchmarks/decay_vs_constant.py: its arguments (the training itself is the benchmark, not a test)."""
from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import pytest

from lrlab import testbed

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "decay_vs_constant.py"
_spec = importlib.util.spec_from_file_location("decay_vs_constant", SCRIPT)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text, seeds",
    [("0-4", [0, 1, 2, 3, 4]), ("10,12,15", [10, 12, 15]), ("0-2,7", [0, 1, 2, 7]), (" 3 , 5 ", [3, 5])],
)
def test_seeds_from_ranges_and_lists(text: str, seeds: list[int]) -> None:
    assert bench.seed_list(text) == seeds


@pytest.mark.parametrize("text", ["4", "0-0", "1,1", "0-3,2", "a", "1-x", "-1", "5-3", "", "1,,2"])
def test_bad_seeds_are_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        bench.seed_list(text)


def test_rates_are_sorted_distinct_and_positive() -> None:
    assert bench.rate_list("0.2,0.05,0.1") == [0.05, 0.1, 0.2]
    for bad in ("0.1", "0.1,0.1", "0.1,-0.2", "0.1,0", "0.1,inf", "0.1,x"):
        with pytest.raises(argparse.ArgumentTypeError):
            bench.rate_list(bad)


def test_defaults_are_the_lectures_comparison() -> None:
    args = bench.parse_args([])
    assert args.seeds == list(testbed.SEEDS) and args.grid == list(testbed.GRID)
    assert args.peak == testbed.PEAK and args.jobs == 1
    args = bench.parse_args(["--seeds", "10-29", "--grid", "0.1,0.05", "--peak", "0.3", "--jobs", "2"])
    assert (args.seeds[0], len(args.seeds), args.grid, args.peak, args.jobs) == (10, 20, [0.05, 0.1], 0.3, 2)


@pytest.mark.parametrize("argv", [["--seeds", "3"], ["--peak", "0"], ["--peak", "nan"], ["--jobs", "0"], ["--grid", "1"]])
def test_bad_arguments_exit_with_a_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args(argv)
    assert exit_info.value.code == 2 and "usage" in capsys.readouterr().err
