"""Partial training on the kernel's reference images: accuracy, determinism, budgets, ACT, checkpoints."""
import os

import pytest
import torch

from nas_evaluators.testing.models import Blind, cnn_model
from nas_kernel.api import ArchaiModel
from nas_kernel.testing.reference import Glyphs
from nas_evaluators import PartialTraining, ProgressiveTraining, act_threshold

IMAGES = Glyphs(seed=1)


def trainer(**kw):
    kw.setdefault("progress_bar", False)
    return PartialTraining(IMAGES, **kw)


def test_small_cnn_learns_the_reference_images_above_90_percent():
    model = cnn_model(16)
    before = [p.clone() for p in model.arch.parameters()]
    acc = trainer(epochs=4, lr=1e-2).evaluate(model)
    assert acc > 0.90, acc
    assert model.metadata["epochs_trained"] == 4 and model.metadata["train_seconds"] > 0
    # the candidate's own weights are left alone, so re-evaluating gives the same value
    assert all(torch.equal(a, b) for a, b in zip(before, model.arch.parameters()))


def test_deterministic_from_seed_and_budget_scales_epochs():
    ev = trainer(epochs=2, seed=5)
    a, b = ev.evaluate(cnn_model(8)), ev.evaluate(cnn_model(8))
    assert a == b
    assert trainer(epochs=2, seed=6).evaluate(cnn_model(8)) != a
    m = cnn_model(8)
    ev.evaluate(m, budget=0.5)
    assert m.metadata["epochs_trained"] == 1
    ev.evaluate(m, budget=2)
    assert m.metadata["epochs_trained"] == 4


def test_loss_metric_sgd_and_schedules():
    loss = trainer(epochs=2, metric="loss", optimizer="sgd", lr=0.05, lr_schedule="cosine").evaluate(cnn_model(8))
    assert 0 < loss < 2.3  # below the loss of uniform guessing, ln(10)
    acc = trainer(epochs=1, eval_split="test", lr_schedule="exponential").evaluate(cnn_model(8))
    assert 0 <= acc <= 1


@pytest.mark.parametrize("kwargs, word", [({"epochs": 0}, "epochs"), ({"metric": "f1"}, "metric"),
                                          ({"optimizer": "lion"}, "optimizer"), ({"act_beta": 1.0}, "act_beta"),
                                          ({"lr": 0}, "lr"), ({"dataset": object()}, "dataset")])
def test_rejects_bad_parameters(kwargs, word):
    with pytest.raises(ValueError, match=word):
        PartialTraining(**kwargs)


def test_act_thresholds_match_hivenas_values():
    got = [round(act_threshold(e, 10, 0.25, 0.25), 4) for e in range(1, 7)]
    assert got == [0.325, 0.4225, 0.4953, 0.5519, 0.597, 0.6339]
    assert [round(act_threshold(e, 100, 0.25, 0.25), 4) for e in range(1, 4)] == [0.2575, 0.3737, 0.4585]


def test_act_stops_a_blind_model_early_but_not_a_good_one():
    blind = ArchaiModel(Blind(), "blind")
    ev = trainer(epochs=5, act_beta=0.25, act_zeta=0.25)
    acc = ev.evaluate(blind)
    assert blind.metadata["epochs_trained"] == 1 and blind.metadata["act_stopped"] is True and acc < 0.325
    good = cnn_model(16)
    trainer(epochs=3, lr=1e-2, act_beta=0.1, act_zeta=0.1).evaluate(good)
    assert good.metadata["epochs_trained"] == 3 and good.metadata["act_stopped"] is False


def test_checkpoints_continue_training(tmp_path):
    archid = "../weird/arch id:1"  # never used raw as a path
    ev = trainer(epochs=1, checkpoint_dir=str(tmp_path), seed=2)
    first = ev.evaluate(cnn_model(8, archid=archid), budget=1)
    files = os.listdir(tmp_path)
    assert len(files) == 1 and "/" not in files[0] and files[0].endswith(".pt")
    resumed_model = cnn_model(8, archid=archid)
    resumed = ev.evaluate(resumed_model, budget=2)
    assert resumed_model.metadata["epochs_trained"] == 2
    straight = trainer(epochs=1, seed=2).evaluate(cnn_model(8, archid=archid), budget=2)
    assert resumed == straight and resumed != first
    # asking again for the same budget trains nothing more and returns the same value
    assert ev.evaluate(cnn_model(8, archid=archid), budget=2) == resumed
    # a checkpoint made with other settings is ignored, not continued
    other = trainer(epochs=1, checkpoint_dir=str(tmp_path), seed=2, lr=1e-2)
    m = cnn_model(8, archid=archid)
    other.evaluate(m, budget=2)
    assert m.metadata["epochs_trained"] == 2


def test_act_stop_is_remembered_by_the_checkpoint(tmp_path):
    ev = trainer(epochs=1, act_beta=0.25, checkpoint_dir=str(tmp_path))
    m = ArchaiModel(Blind(), "blind")
    ev.evaluate(m)
    ev.evaluate(m, budget=4)
    assert m.metadata["epochs_trained"] == 1 and m.metadata["act_stopped"]


def test_progressive_training_keeps_state_per_archid():
    ev = ProgressiveTraining(None, IMAGES, "nas_evaluators.testing.worker_functions:count_calls")
    a = ArchaiModel(None, "a")
    assert ev.evaluate(a, 1.0) == 1.0 and ev.evaluate(a, 2.0) == 4.0
    assert ev.evaluate(ArchaiModel(None, "b"), 1.0) == 1.0


def test_progress_bar_when_asked(capsys):
    m = cnn_model(4)
    trainer(epochs=2, progress_bar=True).evaluate(m)
    assert "train cnn-w4" in capsys.readouterr().err and m.metadata["epochs_trained"] == 2


def test_score_does_not_depend_on_what_the_process_built_before():
    """Two copies of one architecture with different initial weights train to the same score."""
    from nas_evaluators.training import PartialTraining

    evaluator = PartialTraining(Glyphs(seed=0), epochs=1, progress_bar=False, seed=5)
    first, second = cnn_model(seed=0, archid="same-arch"), cnn_model(seed=123, archid="same-arch")
    assert evaluator.evaluate(first) == evaluator.evaluate(second)
    other = PartialTraining(Glyphs(seed=0), epochs=1, progress_bar=False, seed=5, reset_weights=False)
    assert other.evaluate(cnn_model(seed=0, archid="a")) != other.evaluate(cnn_model(seed=123, archid="a"))
