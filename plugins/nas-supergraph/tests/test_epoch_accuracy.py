"""The per-epoch progress of both supergraph trainers carries the epoch's training accuracy next
to its loss: counted on the device over the weight steps' batches, read with the loss in the one
read per epoch, so a user watching a long one-shot search sees whether it learns."""
from __future__ import annotations

import torch

from nas_supergraph.arch_trainer import ArchTrainer
from nas_supergraph.data import split
from nas_supergraph.evaluater import Evaluater
from nas_supergraph.model import Model
from nas_supergraph.model_desc_builder import ModelDescBuilder

CONF = {"n_cells": 1, "n_reductions": 0, "dataset": {"channels": 1, "n_classes": 4},
        "model_stems": {"ops": ["stem_conv3x3"], "init_node_ch": 4, "stem_multiplier": 3},
        "cell": {"n_nodes": 2, "cell_post_op": "concate_channels"}}


def test_the_search_trainer_reports_each_epoch_s_training_accuracy(tiny_data):
    torch.manual_seed(0)
    model = Model(ModelDescBuilder().build(CONF), droppath=False, affine=False)
    trainer = ArchTrainer({"epochs": 4, "batch_size": 16, "device": "cpu"}, model, None)
    seen = []
    trainer.epoch_callbacks.append(lambda epoch, info: seen.append(info))
    trainer.fit(split(tiny_data(n=128), 0.5, 1))
    accs = [info["train_acc"] for info in seen]
    assert len(accs) == 4 and all(0.0 <= a <= 1.0 for a in accs)
    assert accs[-1] > accs[0] and accs[-1] > 0.25  # four classes: above chance once it learns


def test_the_final_trainer_reports_each_epoch_s_training_accuracy(tiny_data):
    torch.manual_seed(0)
    evaluater = Evaluater(tiny_data(n=128), seed=1)
    model = Model(ModelDescBuilder().build(CONF), droppath=False, affine=True)
    seen = []
    evaluater.epoch_callbacks.append(lambda epoch, info: seen.append(info))
    evaluater.train_model({"epochs": 4, "batch_size": 16, "device": "cpu"}, model, None)
    accs = [info["train_acc"] for info in seen]
    assert len(accs) == 4 and all(0.0 <= a <= 1.0 for a in accs) and accs[-1] > accs[0]
