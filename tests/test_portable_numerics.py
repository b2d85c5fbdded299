"""Printed numbers do not depend on the CPU (proof on one machine).

The lectures must print identical tables on every x86-64 CPU. Without a second machine,
the proof runs the course's most sensitive cells (``portability/sensitive_cells.py``: a run at
the stability edge, a diverging run, the lecture 3 sweep, lecture 5's Adam row, an RMSprop
run) in fresh processes under settings that make this machine compute as other CPUs would,
and asserts byte-identical output:

* instruction-set settings: ATen asked for another vector width, MKL and oneDNN capped at
  older instruction sets, glibc's libm without AVX2 and FMA;
* another vendor's RSQRTPS (``portability/other_rsqrtps.py``): MKL's square root as it comes
  out on a CPU whose approximate reciprocal square root rounds differently (Intel's and AMD's
  do), which made Adam's and RMSprop's digits depend on the machine before ``torch.sqrt``
  was pinned (``lrlab.numerics``);
* other CPUs as every library sees them through CPUID (``portability/cpuid_mask.c``, built
  here where a C compiler and CPUID faulting exist): an AMD Zen 2 and a CPU without AVX.

Controls show that the same settings DO change the digits without the pins, so each
comparison can fail.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch

from lrlab.numerics import active_code_paths, native_requested

ROOT = Path(__file__).resolve().parents[1]
PORTABILITY = ROOT / "tests" / "portability"
SCRIPT = PORTABILITY / "sensitive_cells.py"
CPU_FLAGS = set(Path("/proc/cpuinfo").read_text().split()) if Path("/proc/cpuinfo").exists() else set()
HAS_AVX2 = "avx2" in CPU_FLAGS
NO_AVX2_LIBM = "glibc.cpu.hwcaps=-AVX2,-FMA,-AVX"
OTHER_RSQRTPS = {"PORTABILITY_OTHER_RSQRTPS": "1"}
# What the unpinned controls keep: the environment pins, without lrlab's square root.
ENV_PINS_ONLY = {"LRLAB_NATIVE_NUMERICS": "1", "ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"}

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
    "MKL's square root on a CPU with another RSQRTPS table": OTHER_RSQRTPS,
}
if "avx512f" in CPU_FLAGS:
    SETTINGS["ATen asked for AVX-512, MKL capped at AVX-512"] = {
        "ATEN_CPU_CAPABILITY": "avx512",
        "MKL_ENABLE_INSTRUCTIONS": "AVX512",
    }
# Other CPUs through CPUID (cpuid_mask.c profiles); glibc reads its features before any
# library can edit CPUID, so the CPU without AVX gets libm's matching setting too.
EMULATED_CPUS: dict[str, dict[str, str]] = {
    "an AMD Zen 2 (vendor AMD, AVX2, no AVX-512)": {"CPUID_PROFILE": "amd-zen2"},
    "a CPU without AVX (SSE4.2)": {"CPUID_PROFILE": "sse4.2", "GLIBC_TUNABLES": NO_AVX2_LIBM},
}

# Reported from another machine (AMD EPYC, AVX2) with exactly the pinned settings.
REFERENCE_LINES = (
    "reference lr=0.1 final validation loss 0.128904",
    "reference lr=2.5 final training loss 1484279.9000",
    "reference lr=2.4 epoch-10 training loss 0.014886",
)
# Measured on an Intel CPU with all three pins. Before torch.sqrt was pinned these digits
# depended on the CPU's RSQRTPS table; now they are the same on every x86-64 CPU, which any
# other machine running this test checks.
ADAPTIVE_REFERENCE_LINES = (
    "reference Adam lr=0.03 final validation losses 0.129498 0.149550 0.203563",
    "reference RMSprop lr=0.03 final validation loss 0.938321",
)


def _run(extra_env: dict[str, str], *args: str) -> str:
    unpinned = ("LRLAB_NATIVE_NUMERICS", "ATEN_CPU_CAPABILITY", "MKL_CBWR", "PYTHONFAULTHANDLER")
    env = {k: v for k, v in os.environ.items() if k not in unpinned}
    env.update(extra_env, OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, str(SCRIPT), *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def cpuid_mask(tmp_path_factory: pytest.TempPathFactory) -> str | None:
    """``cpuid_mask.c`` built as a preloadable library, or None where it cannot work here
    (no C compiler, a CPU or kernel without CPUID faulting)."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None or "cpuid_fault" not in CPU_FLAGS:
        return None
    library = tmp_path_factory.mktemp("cpuid") / "cpuid_mask.so"
    built = subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-o", str(library), str(PORTABILITY / "cpuid_mask.c")],
                           capture_output=True, text=True)
    if built.returncode != 0:
        return None
    probe = subprocess.run([sys.executable, "-c", "import torch; print(torch.backends.cpu.get_cpu_capability())"],
                           env=dict(os.environ, LD_PRELOAD=str(library), CPUID_PROFILE="sse4.2"),
                           capture_output=True, text=True, timeout=120)
    return str(library) if probe.returncode == 0 and probe.stdout.split() == ["DEFAULT"] else None


@pytest.fixture(scope="module")
def outputs(cpuid_mask: str | None) -> dict[str, str]:
    """Every setting's output (and the controls'), two processes at a time."""
    runs: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {name: (env, ()) for name, env in SETTINGS.items()}
    runs["control: environment pins only"] = (ENV_PINS_ONLY, ("--adaptive-only",))
    runs["control: environment pins only, another RSQRTPS"] = (ENV_PINS_ONLY | OTHER_RSQRTPS, ("--adaptive-only",))
    if HAS_AVX2:
        for capability in ("default", "avx2"):
            runs[f"control: native {capability}"] = ({"LRLAB_NATIVE_NUMERICS": "1", "ATEN_CPU_CAPABILITY": capability},
                                                     ("--diverging-only",))
    if cpuid_mask is not None:
        for name, env in EMULATED_CPUS.items():
            runs[name] = (env | {"LD_PRELOAD": cpuid_mask}, ())
        runs["control: native, shown as a CPU without AVX"] = (
            {"LRLAB_NATIVE_NUMERICS": "1", "LD_PRELOAD": cpuid_mask} | EMULATED_CPUS["a CPU without AVX (SSE4.2)"],
            ("--diverging-only",))
        runs["control: native, this CPU"] = ({"LRLAB_NATIVE_NUMERICS": "1"}, ("--diverging-only",))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {name: pool.submit(_run, env, *args) for name, (env, args) in runs.items()}
        return {name: f.result() for name, f in futures.items()}


@pytest.mark.slow
def test_sensitive_cells_print_identically_under_every_instruction_set_setting(outputs: dict[str, str]) -> None:
    baseline = outputs["this CPU"]
    for name in SETTINGS:
        assert outputs[name] == baseline, f"output under '{name}' differs from this CPU's"


@pytest.mark.slow
def test_sensitive_cells_print_identically_on_cpus_emulated_through_cpuid(outputs: dict[str, str]) -> None:
    emulated = [name for name in EMULATED_CPUS if name in outputs]
    if not emulated:
        pytest.skip("CPUID emulation needs a C compiler and a CPU/kernel with CPUID faulting")
    for name in emulated:
        assert outputs[name] == outputs["this CPU"], f"output on {name} differs from this CPU's"


@pytest.mark.slow
def test_pinned_numbers_match_the_other_machines_report(outputs: dict[str, str]) -> None:
    lines = outputs["this CPU"].splitlines()
    for expected in REFERENCE_LINES + ADAPTIVE_REFERENCE_LINES:
        assert expected in lines


@pytest.mark.slow
def test_tables_show_divergence_not_chaotic_digits(outputs: dict[str, str]) -> None:
    tables = [line for line in outputs["this CPU"].splitlines() if line.startswith("|")]
    assert any("↑ " in line for line in tables) and any("stopped" in line for line in tables)
    for line in tables:
        for cell in line.strip("|").split("|"):
            number = cell.split()[0] if cell.split() else ""  # "0.1609 (0.1295–0.2036)", "0 of 3"
            if number[:1].isdigit():
                assert len(number.split(".")[0]) < 6, f"a chaotic number is printed: {line}"


@pytest.mark.slow
def test_control_without_the_square_root_pin_another_rsqrtps_changes_adam_and_rmsprop(outputs: dict[str, str]) -> None:
    """The environment pins alone leave Adam's and RMSprop's digits to the CPU's RSQRTPS."""
    ours = outputs["control: environment pins only"].splitlines()
    theirs = outputs["control: environment pins only, another RSQRTPS"].splitlines()
    changed = [a for a, b in zip(ours, theirs) if a != b]
    assert any(line.startswith("| Adam lr=0.03") for line in changed)
    assert any(line.startswith("reference RMSprop") for line in changed)


@pytest.mark.slow
@pytest.mark.skipif(not HAS_AVX2, reason="the control needs a CPU with AVX2 to differ from the baseline")
def test_control_without_pinning_the_same_settings_change_the_digits(outputs: dict[str, str]) -> None:
    assert outputs["control: native default"] != outputs["control: native avx2"]
    assert "1484279.9000" not in (outputs["control: native default"].strip(), outputs["control: native avx2"].strip())
    if "control: native, this CPU" in outputs:
        assert outputs["control: native, shown as a CPU without AVX"] != outputs["control: native, this CPU"]


def test_importing_lrlab_pins_the_code_paths_and_late_import_is_refused() -> None:
    probe = (
        "import torch, lrlab, os\n"
        "lrlab.seed_everything(0)\n"
        "from lrlab.numerics import active_code_paths\n"
        "print(os.environ['ATEN_CPU_CAPABILITY'], os.environ['MKL_CBWR'], active_code_paths())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "LRLAB_NATIVE_NUMERICS"}
    env["ATEN_CPU_CAPABILITY"] = "avx2"  # a user's setting does not win over the course's
    done = subprocess.run([sys.executable, "-W", "error", "-c", probe], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:2] == ["default", "COMPATIBLE"]
    assert "'aten': 'DEFAULT'" in done.stdout and "'mkl': 'COMPATIBLE'" in done.stdout
    assert "'sqrt': 'correctly rounded'" in done.stdout

    late = "import torch\ntorch.ones(3).sum()\nimport lrlab\nlrlab.seed_everything(0)\n"
    done = subprocess.run([sys.executable, "-c", late], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "NumericsNotPinned" in done.stderr and "import lrlab before running any torch code" in done.stderr


def test_torch_sqrt_is_correctly_rounded_and_otherwise_pytorchs() -> None:
    """The pinned square root: IEEE results for float32/float64 whatever MKL would compute,
    PyTorch's semantics everywhere else (dtypes, gradients, in place, out=, special values)."""
    if native_requested():
        pytest.skip("LRLAB_NATIVE_NUMERICS=1 switches the pins off in this process")
    assert active_code_paths()["sqrt"] == "correctly rounded"
    rng = np.random.default_rng(0)
    wide = np.abs(rng.standard_normal(1 << 16) * 10.0 ** rng.uniform(-45, 38, 1 << 16))
    for dtype in (np.float32, np.float64):
        x = wide.astype(dtype)
        assert np.array_equal(torch.from_numpy(x).sqrt().numpy(), np.sqrt(x))
    special = torch.tensor([-1.0, -0.0, 0.0, float("inf"), float("nan"), 1e-45])
    assert torch.equal(special.sqrt().isnan(), torch.tensor([True, False, False, False, True, False]))
    assert str(special.sqrt()[1]) == "tensor(-0.)" and special.sqrt()[3] == float("inf")

    x = torch.tensor([4.0, 9.0], requires_grad=True)
    x.sqrt().sum().backward()
    assert torch.equal(x.grad, torch.tensor([0.25, 1 / 6]))
    assert torch.equal(torch.tensor([4, 9]).sqrt(), torch.tensor([2.0, 3.0]))  # integers promote
    assert torch.tensor([4.0], dtype=torch.float16).sqrt().dtype == torch.float16
    assert torch.equal(torch.tensor([-4 + 0j]).sqrt(), torch.tensor([2j]))
    columns = torch.arange(12.0).view(3, 4).t()
    assert torch.equal(columns.sqrt(), torch.from_numpy(np.sqrt(columns.numpy())))
    in_place = torch.tensor([1.0, 16.0])
    assert in_place.sqrt_() is in_place and torch.equal(in_place, torch.tensor([1.0, 4.0]))
    out = torch.empty(0)
    assert torch.sqrt(torch.tensor([25.0]), out=out) is out and torch.equal(out, torch.tensor([5.0]))
    with pytest.raises(RuntimeError, match="more than one element"):
        torch.tensor([2.0]).expand(3).sqrt_()
