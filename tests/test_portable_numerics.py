"""Printed numbers do not depend on the CPU's instruction set (proof on one machine).

The lectures must print identical tables on every x86-64 CPU. Without a second machine,
the proof runs the course's most sensitive cells (a run at the stability edge, a diverging
run, the lecture 3 sweep: ``portability/sensitive_cells.py``) in fresh processes under
settings that make this CPU's libraries behave like other CPUs' (ATen asked for another
vector width, MKL and oneDNN capped at older instruction sets, glibc's libm without AVX2
and FMA) and asserts byte-identical output. A control shows the same settings DO change
the digits when the pinning is switched off, so the comparison can fail.
"""
from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "portability" / "sensitive_cells.py"
CPU_FLAGS = set(Path("/proc/cpuinfo").read_text().split()) if Path("/proc/cpuinfo").exists() else set()
NO_AVX2_LIBM = "glibc.cpu.hwcaps=-AVX2,-FMA,-AVX"

# Each entry makes some library pick the code path another CPU would give it.
SETTINGS: dict[str, dict[str, str]] = {
    "this CPU": {},
    "ATen asked for AVX2, MKL capped at SSE4.2, oneDNN at SSE4.1": {
        "ATEN_CPU_CAPABILITY": "avx2",
        "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
        "ONEDNN_MAX_CPU_ISA": "SSE41",
    },
    "ATen asked for the baseline, MKL capped at AVX2, libm without AVX2/FMA": {
        "ATEN_CPU_CAPABILITY": "default",
        "MKL_ENABLE_INSTRUCTIONS": "AVX2",
        "GLIBC_TUNABLES": NO_AVX2_LIBM,
    },
}
if "avx512f" in CPU_FLAGS:
    SETTINGS["ATen asked for AVX-512, MKL capped at AVX-512"] = {
        "ATEN_CPU_CAPABILITY": "avx512",
        "MKL_ENABLE_INSTRUCTIONS": "AVX512",
    }

# Reported from another machine (AMD EPYC, AVX2) with exactly the pinned settings.
REFERENCE_LINES = (
    "reference lr=0.1 final validation loss 0.128904",
    "reference lr=2.5 final training loss 1484279.9000",
    "reference lr=2.4 epoch-10 training loss 0.014886",
)


def _run(extra_env: dict[str, str], *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("LRLAB_NATIVE_NUMERICS", "ATEN_CPU_CAPABILITY", "MKL_CBWR")}
    env.update(extra_env, OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, str(SCRIPT), *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


HAS_AVX2 = "avx2" in CPU_FLAGS
# The control: the same two settings without the pinning (the diverging run only).
CONTROLS: dict[str, dict[str, str]] = {
    name: {"LRLAB_NATIVE_NUMERICS": "1", "ATEN_CPU_CAPABILITY": capability}
    for name, capability in (("native default", "default"), ("native avx2", "avx2"))
} if HAS_AVX2 else {}


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    """Every setting's output (and the controls'), two processes at a time."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {name: pool.submit(_run, env) for name, env in SETTINGS.items()}
        futures |= {name: pool.submit(_run, env, "--diverging-only") for name, env in CONTROLS.items()}
        return {name: f.result() for name, f in futures.items()}


@pytest.mark.slow
def test_sensitive_cells_print_identically_under_every_instruction_set_setting(outputs: dict[str, str]) -> None:
    baseline = outputs["this CPU"]
    for name in SETTINGS:
        assert outputs[name] == baseline, f"output under '{name}' differs from this CPU's"


@pytest.mark.slow
def test_pinned_numbers_match_the_other_machines_report(outputs: dict[str, str]) -> None:
    lines = outputs["this CPU"].splitlines()
    for expected in REFERENCE_LINES:
        assert expected in lines


@pytest.mark.slow
def test_tables_show_divergence_not_chaotic_digits(outputs: dict[str, str]) -> None:
    tables = [line for line in outputs["this CPU"].splitlines() if line.startswith("|")]
    assert any("↑ " in line for line in tables) and any("stopped" in line for line in tables)
    for line in tables:
        for cell in line.strip("|").split("|"):
            number = cell.strip()
            if number[:1].isdigit():
                assert len(number.split(".")[0]) < 6, f"a chaotic number is printed: {line}"


@pytest.mark.slow
@pytest.mark.skipif(not HAS_AVX2, reason="the control needs a CPU with AVX2 to differ from the baseline")
def test_control_without_pinning_the_same_settings_change_the_digits(outputs: dict[str, str]) -> None:
    assert outputs["native default"] != outputs["native avx2"]
    assert "1484279.9000" not in (outputs["native default"].strip(), outputs["native avx2"].strip())


def test_importing_lrlab_pins_the_code_paths_and_late_import_is_refused() -> None:
    probe = (
        "import torch, lrlab, os\n"
        "lrlab.seed_everything(0)\n"
        "from lrlab.numerics import active_code_paths\n"
        "print(os.environ['ATEN_CPU_CAPABILITY'], os.environ['MKL_CBWR'], active_code_paths())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "LRLAB_NATIVE_NUMERICS"}
    env["ATEN_CPU_CAPABILITY"] = "avx2"  # a user's setting does not win over the course's
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:2] == ["default", "COMPATIBLE"]
    assert "'aten': 'DEFAULT'" in done.stdout and "'mkl': 'COMPATIBLE'" in done.stdout

    late = "import torch\ntorch.ones(3).sum()\nimport lrlab\nlrlab.seed_everything(0)\n"
    done = subprocess.run([sys.executable, "-c", late], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "NumericsNotPinned" in done.stderr and "import lrlab before running any torch code" in done.stderr
