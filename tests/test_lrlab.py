"""Unit tests for the lrlab library the notebooks import."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

from lrlab import (
    DATASETS,
    compare_table,
    gd_bowl,
    gd_quadratic,
    load_split,
    logistic_regression,
    loss_table,
    make_loaders,
    mlp,
    run,
    seed_everything,
    summary_table,
)
from lrlab.plots import plot_losses, plot_schedules
from lrlab.quadratic import bowl_loss
from lrlab.report import format_loss
from lrlab.train import DIVERGENCE_LOSS, History, is_diverged_loss, make_optimizer, train


@pytest.mark.parametrize("name", DATASETS)
def test_every_bundled_dataset_splits_stratified(name: str) -> None:
    split = load_split(name)
    classes = torch.unique(split.y_train)
    assert len(classes) == split.n_classes == len(torch.unique(split.y_val))
    frac_train = torch.bincount(split.y_train) / len(split.y_train)
    frac_val = torch.bincount(split.y_val) / len(split.y_val)
    assert torch.allclose(frac_train, frac_val, atol=0.03)


def test_standardisation_uses_training_statistics_only() -> None:
    split = load_split("wine")
    assert torch.allclose(split.X_train.mean(0), torch.zeros(split.n_features), atol=1e-5)
    # the validation rows were scaled with the training mean, so theirs is not exactly 0
    assert split.X_val.mean(0).abs().max() > 1e-3


def test_digits_shapes_and_n_train() -> None:
    split = load_split("digits")
    assert (split.n_features, split.n_classes) == (64, 10)
    assert len(split.X_train) + len(split.X_val) == 1797
    assert len(load_split("digits", n_train=200).X_train) == 200


@pytest.mark.parametrize(
    "kwargs",
    [{"name": "mnist"}, {"val_fraction": 0.0}, {"val_fraction": 1.5}, {"n_train": 3}],
)
def test_load_split_rejects_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        load_split(**kwargs)


def test_loaders_are_seeded() -> None:
    split = load_split()
    first = [next(iter(make_loaders(split, seed=3)[0]))[1] for _ in range(2)]
    assert torch.equal(first[0], first[1])
    assert not torch.equal(first[0], next(iter(make_loaders(split, seed=4)[0]))[1])
    with pytest.raises(ValueError):
        make_loaders(split, batch_size=0)


def test_models_have_the_requested_shape() -> None:
    assert mlp(64, 10, (32, 16))(torch.zeros(5, 64)).shape == (5, 10)
    assert len(logistic_regression(4, 3)) == 1
    with pytest.raises(ValueError):
        mlp(64, 10, (0,))


def test_loss_at_initialisation_is_close_to_log_classes() -> None:
    h = run(0.1, epochs=1, verbose=False)
    assert abs(h.initial_val_loss - math.log(10)) < 0.15


def test_same_seed_same_numbers_other_seed_other_numbers() -> None:
    a = run(0.1, epochs=3, verbose=False)
    b = run(0.1, epochs=3, verbose=False)
    c = run(0.1, epochs=3, seed=1, verbose=False)
    assert a.to_dict() == b.to_dict()
    assert a.train_loss != c.train_loss


def test_good_rate_learns_and_history_is_complete() -> None:
    h = run(0.1, epochs=10, verbose=False)
    assert h.epochs_run == 10 and not h.diverged
    assert h.train_loss[-1] < h.train_loss[0] < h.initial_train_loss
    assert h.final_val_acc > 0.9
    steps_per_epoch = math.ceil(1347 / 64)
    assert len(h.lr) == 10 * steps_per_epoch
    assert len(h.train_acc) == len(h.val_acc) == len(h.val_loss) == 10


def test_absurd_rate_stops_early_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    h = run(1e4, epochs=30)
    assert h.stopped_nonfinite and h.diverged and h.epochs_run < 30
    assert not math.isfinite(h.train_loss[-1]) or not math.isfinite(h.val_loss[-1])
    assert "non-finite" in capsys.readouterr().out


def test_scheduler_is_stepped_per_epoch_or_per_batch() -> None:
    def step_lr(opt: torch.optim.Optimizer) -> torch.optim.lr_scheduler.StepLR:
        return torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

    per_epoch = run(0.1, epochs=2, scheduler=step_lr, verbose=False)
    steps = len(per_epoch.lr) // 2
    assert per_epoch.lr[0] == per_epoch.lr[steps - 1] == 0.1
    assert per_epoch.lr[steps] == pytest.approx(0.05)
    per_batch = run(0.1, epochs=1, scheduler=step_lr, step_per="batch", verbose=False)
    assert per_batch.lr[:3] == pytest.approx([0.1, 0.05, 0.025])


def test_plateau_scheduler_gets_the_validation_loss() -> None:
    def plateau(opt: torch.optim.Optimizer) -> torch.optim.lr_scheduler.ReduceLROnPlateau:
        return torch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.1)

    h = run(0.1, epochs=4, scheduler=plateau, verbose=False)
    assert h.epochs_run == 4
    with pytest.raises(ValueError):
        run(0.1, epochs=1, scheduler=plateau, step_per="batch")


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_bad_learning_rate_is_rejected(bad: float) -> None:
    with pytest.raises(ValueError, match="lr"):
        run(bad, epochs=1)


def test_bad_epochs_and_optimizer_are_rejected() -> None:
    with pytest.raises(ValueError, match="epochs"):
        run(0.1, epochs=0)
    with pytest.raises(ValueError, match="optimizer"):
        make_optimizer("lion", mlp().parameters(), 0.1)
    with pytest.raises(ValueError, match="step_per"):
        split = load_split()
        tl, vl = make_loaders(split)
        model = mlp()
        train(model, make_optimizer("sgd", model.parameters(), 0.1), tl, vl, 1, step_per="week")


def test_adam_runs() -> None:
    h = run(1e-3, optimizer="adam", epochs=3, verbose=False)
    assert h.val_loss[-1] < h.initial_val_loss


def test_seed_everything_pins_threads() -> None:
    seed_everything(0, threads=1)
    assert torch.get_num_threads() == 1
    with pytest.raises(ValueError):
        seed_everything(0, threads=0)


def test_gd_quadratic_regimes() -> None:
    assert np.allclose(gd_quadratic(0.5, 1.0, steps=3), [1, 0.5, 0.25, 0.125])
    assert gd_quadratic(1.0, 1.0, steps=2)[1:].tolist() == [0.0, 0.0]
    oscill = gd_quadratic(1.5, 1.0, steps=4)
    assert np.all(np.sign(oscill[1:]) == [-1, 1, -1, 1])
    assert np.allclose(np.abs(gd_quadratic(2.0, 1.0, steps=5)), 1.0)
    assert abs(gd_quadratic(2.1, 1.0, steps=50)[-1]) > 10
    with pytest.raises(ValueError):
        gd_quadratic(0.1, curvature=0.0)
    with pytest.raises(ValueError):
        gd_quadratic(-0.1)


def test_gd_bowl_largest_curvature_sets_the_bound() -> None:
    stable = gd_bowl(0.19, (10.0, 1.0), steps=200)
    unstable = gd_bowl(0.21, (10.0, 1.0), steps=200)
    assert bowl_loss(stable, (10.0, 1.0))[-1] < 1e-6
    assert abs(unstable[-1, 0]) > 1e3 and abs(unstable[-1, 1]) < 1e-6
    assert stable.shape == (201, 2)
    with pytest.raises(ValueError):
        gd_bowl(0.1, (1.0, -1.0))


def test_loss_table_format() -> None:
    h = History(train_loss=[2.302585, 1.5], val_loss=[2.3, 1.61234], epochs_planned=3)
    lines = loss_table(h, epochs=[1, 2, 3]).splitlines()
    assert [c.strip() for c in lines[0].strip("|").split("|")] == [
        "Epoch",
        "Training Loss",
        "Validation Loss",
    ]
    assert "2.3026" in lines[2] and "1.6123" in lines[3] and "stopped" in lines[4]
    with pytest.raises(ValueError):
        loss_table(h, epochs=[0])


def test_compare_and_summary_tables() -> None:
    a = History(train_loss=[1.0, 0.5], val_loss=[1.1, 0.6], val_acc=[0.5, 0.8], epochs_planned=2)
    b = History(train_loss=[math.nan], val_loss=[math.nan], val_acc=[0.1], epochs_planned=2,
                stopped_nonfinite=True)
    text = compare_table({"lr=0.1": a, "lr=10": b})
    assert "lr=0.1 Training Loss" in text and "lr=10 Validation Loss" in text
    assert "stopped" in text.splitlines()[-1] and "diverged" in text.splitlines()[-2]
    summary = summary_table({"1e-3": a, "10": b})
    assert "1e-3" in summary and "yes (epoch 1)" in summary and "0.8000" in summary


def _diverging() -> History:
    """Passes 100 (the problem sets' line) in epoch 3 with its validation loss, then stays huge."""
    return History(train_loss=[2.0, 99.5, 3.1234567e7, 9.87e9], val_loss=[2.1, 100.0, 100.0001, 5e9],
                   val_acc=[0.3, 0.2, 0.86, 0.85], initial_train_loss=2.302585, epochs_planned=4)


def test_a_diverging_loss_prints_its_magnitude_not_its_chaotic_digits() -> None:
    h = _diverging()
    assert DIVERGENCE_LOSS == 100.0  # the same line as problem set 2's DIVERGE_LOSS
    assert h.diverged_epoch == 3 and h.diverged and not h.stopped_nonfinite
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in loss_table(h).splitlines()[2:]]
    assert rows[1] == ["2", "99.5000", "100.0000"]  # at or below 100: the usual 4 decimals
    assert rows[2] == ["3", "↑ 3.1e+07", "↑ 1.0e+02"]
    assert rows[3] == ["4", "↑ 9.9e+09", "↑ 5.0e+09"]
    assert not any(re.search(r"\d{5,}\.\d", cell) for row in rows for cell in row)
    assert [format_loss(v) for v in (math.inf, -math.inf, math.nan, -3.0)] == ["diverged"] * 3 + ["-3.0000"]


def test_the_line_is_absolute_whatever_the_loss_at_initialisation() -> None:
    """A 2-class run starts near ln 2 and a 10-class run near ln 10: both diverge above 100."""
    for start in (0.6931, 2.3026, math.nan):  # nan: the start was not measured
        assert not History(train_loss=[1.0, 99.0], val_loss=[1.0, 100.0], initial_train_loss=start).diverged
        assert History(train_loss=[1.0, 99.0], val_loss=[1.0, 100.5], initial_train_loss=start).diverged_epoch == 2
    assert not any(is_diverged_loss(v) for v in (0.0, 2.3, 100.0)) and all(is_diverged_loss(v) for v in (100.01, math.nan))


def test_a_run_that_passed_100_and_came_back_still_diverged() -> None:
    back = History(train_loss=[2.0, 3.0, 0.5], val_loss=[2.0, 194.8, 0.9], initial_train_loss=2.3)
    assert back.diverged and back.diverged_epoch == 2 and math.isnan(back.best_val_loss)


def test_a_diverged_run_reports_no_best_validation_loss() -> None:
    h = _diverging()
    assert math.isnan(h.best_val_loss)
    row = summary_table({"lr=2.5": h}).splitlines()[2]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells == ["lr=2.5", "4", "↑ 9.9e+09", "↑ 5.0e+09", "—", "0.8500", "yes (epoch 3)"]
    fine = History(train_loss=[2.0, 1.0], val_loss=[2.1, 1.2], initial_train_loss=2.3)
    assert fine.best_val_loss == 1.2 and not fine.diverged and fine.diverged_epoch is None
    with pytest.raises(ValueError):
        compare_table({})


def test_plots_draw_training_and_validation() -> None:
    h = run(0.1, epochs=2, verbose=False)
    ax = plot_losses({"good": h, "bad": run(1e4, epochs=2, verbose=False)})
    labels = [line.get_label() for line in ax.get_lines()]
    assert "good training" in labels and "good validation" in labels
    ax2 = plot_schedules({"const": [0.1] * 5}, logy=True)
    assert ax2.get_yscale() == "log"


# 112 training rows: full batches only / a short last one / one full batch / fewer rows than a batch
@pytest.mark.parametrize("batch_size", [16, 20, 112, 128])
def test_loaders_give_the_batches_of_a_plain_shuffled_dataloader(batch_size: int) -> None:
    """make_loaders gathers each batch in one indexing operation; the rows, their order and the
    random stream must be exactly those of DataLoader(shuffle=True, generator=...)."""
    from torch.utils.data import DataLoader, TensorDataset

    split = load_split("iris")
    assert len(split.y_train) == 112
    fast, val = make_loaders(split, batch_size=batch_size, seed=5)
    plain = DataLoader(TensorDataset(split.X_train, split.y_train), batch_size=batch_size, shuffle=True,
                       generator=torch.Generator().manual_seed(5))
    for _ in range(3):  # several epochs: the generator must advance the same way
        ours, theirs = list(fast), list(plain)
        assert len(ours) == len(theirs) == len(fast)
        for (X1, y1), (X2, y2) in zip(ours, theirs):
            assert torch.equal(X1, X2) and torch.equal(y1, y2)
    (X_val, y_val), = list(val)
    assert torch.equal(X_val, split.X_val) and torch.equal(y_val, split.y_val)


def test_a_run_resumed_with_every_state_equals_one_that_never_stopped() -> None:
    """build + train(k) + checkpoint, then a fresh build that loads the states and continues
    with measure_start=False: History.then of the two parts is the uninterrupted run."""
    from lrlab import build

    def cosine(opt: torch.optim.Optimizer) -> torch.optim.lr_scheduler.CosineAnnealingLR:
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)

    whole = run(0.5, dataset="iris", epochs=4, scheduler=cosine, verbose=False)
    first = build(0.5, dataset="iris", scheduler=cosine)
    part = first.train(2)
    state = (first.model.state_dict(), first.optimizer.state_dict(), first.scheduler.state_dict(),
             first.train_loader.generator.get_state())
    for load_scheduler in (True, False):
        again = build(0.5, dataset="iris", scheduler=cosine)
        again.model.load_state_dict(state[0])
        again.optimizer.load_state_dict(state[1])
        if load_scheduler:
            again.scheduler.load_state_dict(state[2])
        again.train_loader.generator.set_state(state[3])
        joined = part.then(again.train(2, measure_start=False))
        assert (joined.to_dict() == whole.to_dict()) is load_scheduler
    assert joined.epochs_run == 4 and joined.initial_train_loss == whole.initial_train_loss
    assert joined.lr[:len(part.lr)] == whole.lr[:len(part.lr)] and joined.lr != whole.lr


def test_gradient_clipping_caps_every_step() -> None:
    from lrlab import build

    exp = build(1.0, dataset="iris", clip_grad_norm=1e-3)
    before = torch.cat([p.detach().reshape(-1).clone() for p in exp.model.parameters()])
    exp.train(1)
    after = torch.cat([p.detach().reshape(-1) for p in exp.model.parameters()])
    steps = math.ceil(len(exp.split.X_train) / 64)
    assert 0 < (after - before).norm() <= steps * 1.0 * 1e-3 + 1e-6
    unclipped = run(1.0, dataset="iris", epochs=1, verbose=False)
    clipped = run(1.0, dataset="iris", epochs=1, verbose=False, clip_grad_norm=1e-3)
    assert clipped.train_loss != unclipped.train_loss
    for bad in (0.0, -1.0, math.nan):
        with pytest.raises(ValueError, match="clip_grad_norm"):
            run(1.0, dataset="iris", epochs=1, clip_grad_norm=bad)


def test_evaluate_scores_every_row_with_the_current_weights() -> None:
    from lrlab.train import evaluate

    split = load_split("iris")
    seed_everything(0)
    model = mlp(split.n_features, split.n_classes)
    _, val = make_loaders(split)
    loss, acc = evaluate(model, val)
    with torch.no_grad():
        logits = model(split.X_val)
    assert loss == pytest.approx(torch.nn.functional.cross_entropy(logits, split.y_val).item(), rel=1e-6)
    assert acc == pytest.approx((logits.argmax(1) == split.y_val).float().mean().item())


def test_loss_table_can_add_the_validation_accuracy() -> None:
    h = History(train_loss=[2.0, 1.0], val_loss=[2.1, 1.2], val_acc=[0.25, 0.5], initial_train_loss=2.3)
    lines = loss_table(h, accuracy=True).splitlines()
    assert lines[0].rstrip("| ").endswith("Validation Accuracy")
    assert lines[3].strip("|").split("|")[-1].strip() == "0.5000"
