"""The course's numerically most sensitive cells, printed as the lectures print them.

Run as a script by ``tests/test_portable_numerics.py`` under settings that make this CPU's
libraries compute as other CPUs' would: a run at the stability edge (lecture 1, rate 2.4), a
diverging run (lecture 1, rate 2.5), the lecture 3 sweep, the noisy testbed of lectures 4-5 (a
constant rate on its noise floor and the cosine decay, 1 125 steps of batch 8), lecture 5's Adam
row over three seeds and an RMSprop run (both take a square root at every step), and the raw
digits behind them. ``--diverging-only`` prints just the diverging run's raw final loss,
``--adaptive-only`` just the adaptive optimizers' cells (the quick controls).

``PORTABILITY_OTHER_RSQRTPS=1`` first makes MKL's square root compute as on a CPU with
another RSQRTPS table (``other_rsqrtps.py``; imported before ``lrlab``, whose pin sits on top).
"""
import os
import sys

if os.environ.get("PORTABILITY_OTHER_RSQRTPS") == "1":
    import other_rsqrtps  # noqa: F401

import lrlab  # pins the CPU numerics before anything computes
from lrlab import testbed
from lrlab.seeds import run_seeds, seeds_table
from lrlab.sweep import run_sweep, sweep_table


def adaptive_cells(split: lrlab.Split) -> None:
    """Lecture 5's Adam row (rate 0.03, three seeds) and RMSprop at rate 0.03, with digits."""
    adam = run_seeds(0.03, optimizer="adam", epochs=10)
    print(seeds_table({"Adam lr=0.03": adam}, name="Optimizer, rate"))
    rmsprop = lrlab.run(0.03, optimizer="rmsprop", epochs=10, split=split, verbose=False)
    print(lrlab.loss_table(rmsprop))
    print("reference Adam lr=0.03 final validation losses " + " ".join(f"{h.val_loss[-1]:.6f}" for h in adam))
    print(f"reference RMSprop lr=0.03 final validation loss {rmsprop.val_loss[-1]:.6f}")


lrlab.seed_everything(0, threads=1)
split = lrlab.load_split("digits")
if sys.argv[1:] == ["--diverging-only"]:
    print(f"{lrlab.run(2.5, epochs=8, split=split, verbose=False).train_loss[-1]:.4f}")
    sys.exit(0)
if sys.argv[1:] == ["--adaptive-only"]:
    adaptive_cells(split)
    sys.exit(0)
edge = lrlab.run(2.4, epochs=20, split=split, verbose=False)
print(lrlab.loss_table(edge))
diverging = lrlab.run(2.5, epochs=8, split=split, verbose=False)
print(lrlab.loss_table(diverging))
print(lrlab.summary_table({"lr=2.4": edge, "lr=2.5": diverging}))
sweep = run_sweep([0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 2.4, 5.0], epochs=15)
print(sweep_table(sweep, epochs=[1, 5, 10, 15]))
print(lrlab.compare_table({"testbed constant 0.4": testbed.run(0.4, seed=0), "testbed cosine": testbed.run_cosine(seed=0)}))
adaptive_cells(split)
# The raw digits behind the pinned tables (chaotic when unpinned; exact when pinned).
good = lrlab.run(0.1, epochs=20, split=split, verbose=False)
print(f"reference lr=0.1 final validation loss {good.val_loss[-1]:.6f}")
print(f"reference lr=2.5 final training loss {diverging.train_loss[-1]:.4f}")
print(f"reference lr=2.4 epoch-10 training loss {edge.train_loss[9]:.6f}")
