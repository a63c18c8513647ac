"""HiveNAS's NASInterface (nas-searchers) over the real chain space (nas-search-spaces) and
partial_training (nas-evaluators) on synthetic data (nas-datasets): the record HiveNAS reads, the
continued momentum training and the fully trained best model (moved from nas-searchers' tests,
which run without the other plugins)."""
import math

import pytest

from nas_kernel.components import build_component
from nas_searchers.hivenas_interface import HiveNasInterface


# ---- NASInterface over the real chain space and partial_training on synthetic data ---------------------------
@pytest.fixture(scope="module")
def interface(tmp_path_factory):
    space = build_component("search_spaces", "hivenas_chain", {"depth": 2, "ops": ["conv3x3_4", "identity"]}, seed=1)
    trainer = build_component("evaluators", "partial_training", {
        "dataset": {"name": "synthetic"}, "epochs": 3, "progress_bar": False, "batch_size": 64,
        "checkpoint_dir": str(tmp_path_factory.mktemp("ckpt"))}, seed=1)
    return HiveNasInterface(space, trainer, full_train_epochs=2)


def test_nas_interface_evaluate_returns_hivenas_record(interface):
    candidate = interface.sample()
    assert candidate.startswith("input|") and candidate.endswith("|output") and interface.is_minimize is False
    neighbour = interface.get_neighbor(candidate)
    assert neighbour != candidate and neighbour.count("|") == candidate.count("|")
    record = interface.evaluate(candidate)
    assert set(record) == {"fitness", "epochs", "filename", "params", "momentum"}
    assert 0 <= record["fitness"] <= 1 and record["epochs"] == 3 and record["params"] > 0
    assert record["filename"].endswith(".pt") and math.isfinite(record["momentum"])
    more = interface.momentum_eval(candidate, record["filename"], 1)
    assert more["epochs"] == 1 and more["filename"] == record["filename"]  # continued, not retrained
    # the momentum the colony ranks by: over one new epoch, HiveNAS's record is that epoch's accuracy
    assert more["momentum"] == pytest.approx(more["fitness"], abs=1e-6)
    custom = interface.train_custom_arch(candidate, epochs=1)
    assert custom["epochs"] == 1 and custom["filename"] is None


def test_fully_train_best_model_from_arch_saves_the_model_and_returns_its_file(interface, tmp_path):
    import json

    import torch

    scored = {}
    for _ in range(2):
        candidate = interface.sample()
        scored[candidate] = interface.evaluate(candidate, budget=1 / 3)["fitness"]
    (tmp_path / "pareto.json").write_text(json.dumps([{"archid": a, "val_acc": v} for a, v in scored.items()]))
    full = HiveNasInterface(interface.search_space, interface.eval_strategy, full_train_epochs=2,
                            results_dir=str(tmp_path))
    record = full.fully_train_best_model(from_arch=True)
    assert record["epochs"] == 2 and record["filename"].startswith(str(tmp_path / "fully_trained"))
    best = max(scored, key=scored.get)
    model = interface.search_space.from_description({"chain": best})
    model.arch.load_state_dict(torch.load(record["filename"], weights_only=True)["model"])


def test_partial_training_records_the_per_epoch_validation_history(interface):
    candidate = interface.sample()
    model = interface.search_space.from_description({"chain": candidate})
    score = interface.eval_strategy.evaluate(model)
    history = model.metadata["history"]
    assert len(history) == 3 and history[-1] == pytest.approx(score, abs=1e-6)
    assert model.metadata["history_from_epoch"] == 0 and "act_stopped" not in model.metadata
