"""`nas train-best`: retrain the best Pareto model of a finished run (real search, real training,
real ONNX export) through the real command, on every path a search can take: discrete spaces
trained by partial_training, a DARTS cell trained by final_training, and a model no ONNX exporter
can write; and one model of every registered search space exported and run in onnxruntime."""
import functools
import json

import numpy as np
import pytest

from support import digits_experiment, run_nas

DARTS = """\
seed: 1
output_dir: {out}
search_space: {{name: darts_cells, params: {{init_channels: 4, n_cells: 1, n_nodes: 2}}}}
objectives:
  - {{name: val_acc, higher_is_better: true,
     evaluator: {{name: final_training, params: {{epochs: 1, dataset: {{name: digits}}}}}}}}
searcher: {{name: darts, params: {{epochs: 1, dataset: {{name: digits}}}}}}
"""

UNEXPORTABLE = """\
seed: 1
output_dir: {out}
search_space: {{name: config, params: {{model_cls: "cummax_model:running_max_net", arch_param_tree: {{width: [8, 16]}}}}}}
objectives:
  - {{name: val_acc, higher_is_better: true,
     evaluator: {{name: partial_training, params: {{dataset: {{name: digits}}, epochs: 1, progress_bar: false}}}}}}
searcher: {{name: random, params: {{num_iters: 1, samples_per_iter: 1}}}}
"""


def _search(tmp_path_factory, name, template, expect=(), quiet_err=()):
    """Run ``nas search`` on ``template`` (text with ``{out}``, or a function of the output folder)."""
    tmp = tmp_path_factory.mktemp(name)
    out = tmp / "run"
    (tmp / "exp.yaml").write_text(template(out) if callable(template) else template.format(out=out))
    result = run_nas(["search", str(tmp / "exp.yaml"), "-q"], timeout=300)
    assert result.returncode == 0, result.stderr
    for text in expect:
        assert text in result.stdout
    for text in quiet_err:  # no progress bar under -q
        assert text not in result.stderr
    return out


def _train_best(run_dir, *args):
    result = run_nas(["train-best", str(run_dir), "--epochs", "1", *args], timeout=300)
    assert result.returncode == 0, result.stderr
    return result, json.loads((run_dir / "train_best" / "train_best.json").read_text())[0]


def _val_inputs(record):
    """The digits validation split preprocessed as the record's JSON says (the deploy recipe)."""
    from nas_kernel.components import build_component

    transform = json.loads(open(record["preprocessing"]).read())
    raw, labels = build_component("datasets", "digits", {}, seed=1).raw_split("val")
    mean = np.asarray(transform["mean"], dtype=np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(transform["std"], dtype=np.float32).reshape(1, -1, 1, 1)
    return ((raw.astype(np.float32) - mean) / std).astype(np.float32), labels, transform


def _onnx_logits(path, x):
    import onnxruntime

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session, session.run(None, {"input": x})[0]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return _search(tmp_path_factory, "train_best", lambda out: digits_experiment(
        out, seed=1, searcher="{name: random, params: {num_iters: 1, samples_per_iter: 3}}"))


def test_train_best_writes_weights_arch_preprocessing_and_an_onnx_that_matches_torch(run_dir):
    result = run_nas(["train-best", str(run_dir), "--epochs", "2"], timeout=300)
    assert result.returncode == 0, result.stderr
    record = json.loads((run_dir / "train_best" / "train_best.json").read_text())[0]
    best = max(json.loads((run_dir / "pareto.json").read_text()), key=lambda r: r["val_acc"])
    assert record["archid"] == best["archid"] and record["epochs"] == 2 and record["val_acc"] > 0.5

    import torch
    from nas_search_spaces.cnn import CNNSearchSpace

    space = CNNSearchSpace(max_layers=2, hidden_list=[8, 16])
    model = space.load_arch(record["arch"])
    space.load_model_weights(model, record["weights"])
    model.arch.eval()
    x, labels, transform = _val_inputs(record)
    assert transform["input_shape"] == [1, 8, 8] and len(transform["mean"]) == len(transform["std"]) == 1
    with torch.no_grad():
        expected = model.arch(torch.from_numpy(x)).numpy()
    session, got = _onnx_logits(record["onnx"], x)
    assert np.allclose(got, expected, atol=1e-4)
    # raw pixels standardised with the written statistics give the accuracy train-best reported
    assert (expected.argmax(1) == labels).mean() == pytest.approx(record["val_acc"], abs=1e-9)
    assert json.loads(session.get_modelmeta().custom_metadata_map["preprocessing"]) == transform


def test_train_best_on_a_directory_without_a_run_is_an_error(tmp_path):
    result = run_nas(["train-best", str(tmp_path)])
    assert result.returncode == 2 and "not a search output directory" in result.stderr


@pytest.fixture(scope="module")
def darts_run(tmp_path_factory):
    return _search(tmp_path_factory, "darts", DARTS, expect=("darts genotype", "node 2:", "nas train-best"),
                   quiet_err=("darts supergraph",))


def test_a_darts_search_prints_its_genotype_and_its_cell_trains_and_exports(darts_run):
    run = darts_run
    result, record = _train_best(run)
    assert record["epochs"] == 1 and 0.0 <= record["val_acc"] <= 1.0 and record["onnx"]
    import torch
    from nas_kernel.components import build_component

    space = build_component("search_spaces", "darts_cells", {"init_channels": 4, "n_cells": 1, "n_nodes": 2})
    model = space.load_arch(record["arch"])
    space.load_model_weights(model, record["weights"])
    x, labels, _ = _val_inputs(record)
    with torch.no_grad():
        expected = model.arch.eval()(torch.from_numpy(x)).numpy()
    assert np.allclose(_onnx_logits(record["onnx"], x)[1], expected, atol=1e-4)
    assert (expected.argmax(1) == labels).mean() == pytest.approx(record["val_acc"], abs=1e-9)


@pytest.mark.parametrize("device", [pytest.param("cuda", marks=pytest.mark.skipif(
    not __import__("torch").cuda.is_available(), reason="needs a CUDA device"))])
def test_train_best_trains_a_darts_cell_on_the_gpu_and_exports_it_from_there(darts_run, device):
    result, record = _train_best(darts_run, "--device", device)
    assert record["device"].startswith("cuda") and record["onnx"], record
    x, labels, _ = _val_inputs(record)
    logits = _onnx_logits(record["onnx"], x)[1]
    assert abs(float((logits.argmax(1) == labels).mean()) - record["val_acc"]) < 0.02


def test_an_export_failure_is_one_line_and_the_weights_and_summary_are_still_written(tmp_path_factory):
    run = _search(tmp_path_factory, "unexportable", UNEXPORTABLE)
    result, record = _train_best(run)
    failures = [line for line in result.stdout.splitlines() if "ONNX export failed" in line]
    assert len(failures) == 1 and record["archid"] in failures[0] and "cummax" in failures[0]
    assert "graph(" not in result.stdout + result.stderr  # not the exporter's IR dump
    assert record["onnx"] is None and "cummax" in record["onnx_error"]
    assert (run / "train_best" / f"{record['archid']}_weights.pt").is_file()
    assert not list((run / "train_best").glob("*.onnx"))
    assert f"archid: {record['archid']}" in result.stdout  # the summary line




# ---- every registered search space exports ------------------------------------------------------
#: sample shapes for spaces whose models do not take the 1x8x8 digits (each with its reason)
SAMPLE_SHAPES = {"natsbench_tss": (3, 8, 8),  # NATS-Bench cells are built for 3-channel images
                 "mlp": (16,)}  # feature rows (its default num_features)
#: spaces whose models read token ids: (vocabulary, sequence length) of the sample
TOKEN_INPUTS = {"transformer_flex": (50, 16)}
#: spaces left out of the export check, each with the reason (none today)
NOT_EXPORTED = {}
#: parameters that make a sample show what an export must handle
SPACE_PARAMS = {"hivenas_chain": {"skip_rate": 0.9, "depth": 6},  # skips across pooling layers
                "transformer_flex": {"vocab_size": 50, "max_sequence_length": 16}}
DATA_PARAMS = {"in_channels": 1, "num_classes": 10, "nb_classes": 10, "img_size": 8}


@functools.lru_cache(maxsize=None)
def _installed():
    """One manager of the installed plugins for this module's tests (a new one per call costs time)."""
    from nas_kernel.plugins import make_plugin_manager

    return make_plugin_manager()


def _registered_spaces():
    return _installed().registry.names("search_spaces")


@pytest.mark.parametrize("name", _registered_spaces())
def test_one_model_of_every_registered_space_exports_and_runs_in_onnxruntime(name, tmp_path):
    if name in NOT_EXPORTED:
        pytest.skip(NOT_EXPORTED[name])
    import torch
    from nas_evaluators.train_best import export_onnx
    from nas_kernel.components import build_component

    accepted = {p.name for p in _installed().registry.get("search_spaces", name).parameters()}
    special = name in SAMPLE_SHAPES or name in TOKEN_INPUTS
    params = {k: v for k, v in DATA_PARAMS.items() if k in accepted and not special}
    params.update(SPACE_PARAMS.get(name, {}))
    torch.manual_seed(0)
    model = build_component("search_spaces", name, params, seed=3, manager=_installed()).random_sample()
    if name in TOKEN_INPUTS:
        vocabulary, length = TOKEN_INPUTS[name]
        x = torch.randint(0, vocabulary, (3, length))
    else:
        x = torch.randn(3, *SAMPLE_SHAPES.get(name, (1, 8, 8)))
    model.arch.eval()
    with torch.no_grad():
        expected = model.arch(x).numpy()
    path = export_onnx(model.arch, x[:1], str(tmp_path / "model.onnx"), metadata={"archid": model.archid})
    session, got = _onnx_logits(path, x.numpy())  # a batch of 3 through the exported batch axis
    assert np.allclose(got, expected, atol=1e-4), name
    assert session.get_modelmeta().custom_metadata_map["archid"] == model.archid
