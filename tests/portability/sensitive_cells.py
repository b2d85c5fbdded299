"""The course's numerically most sensitive cells, printed as the lectures print them.

Run as a script by ``tests/test_portable_numerics.py`` under several instruction-set
settings: a run at the stability edge (lecture 1, rate 2.4), a diverging run (lecture 1,
rate 2.5), the lecture 3 sweep, the noisy testbed of lectures 4-5 (a constant rate on its noise
floor and the cosine decay, 1 125 steps of batch 8), and the reference numbers of the portability
issue.
``--diverging-only`` prints just the diverging run's raw final loss (the quick control).
"""
import sys

import lrlab  # first: pins the CPU numerics
from lrlab import testbed
from lrlab.sweep import run_sweep, sweep_table

lrlab.seed_everything(0, threads=1)
split = lrlab.load_split("digits")
if sys.argv[1:] == ["--diverging-only"]:
    print(f"{lrlab.run(2.5, epochs=8, split=split, verbose=False).train_loss[-1]:.4f}")
    sys.exit(0)
edge = lrlab.run(2.4, epochs=20, split=split, verbose=False)
print(lrlab.loss_table(edge))
diverging = lrlab.run(2.5, epochs=8, split=split, verbose=False)
print(lrlab.loss_table(diverging))
print(lrlab.summary_table({"lr=2.4": edge, "lr=2.5": diverging}))
sweep = run_sweep([0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 2.4, 5.0], epochs=15)
print(sweep_table(sweep, epochs=[1, 5, 10, 15]))
print(lrlab.compare_table({"testbed constant 0.4": testbed.run(0.4, seed=0), "testbed cosine": testbed.run_cosine(seed=0)}))
# The raw digits behind the pinned tables (chaotic when unpinned; exact when pinned).
good = lrlab.run(0.1, epochs=20, split=split, verbose=False)
print(f"reference lr=0.1 final validation loss {good.val_loss[-1]:.6f}")
print(f"reference lr=2.5 final training loss {diverging.train_loss[-1]:.4f}")
print(f"reference lr=2.4 epoch-10 training loss {edge.train_loss[9]:.6f}")
