"""`nas train-best`: retrain the best Pareto model of a finished run (real search, real training,
real ONNX export) through the real command."""
import json

import numpy as np
import pytest

from support import digits_experiment, run_nas

@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("train_best")
    out = tmp / "run"
    (tmp / "exp.yaml").write_text(digits_experiment(
        out, seed=1, searcher="{name: random, params: {num_iters: 1, samples_per_iter: 3}}"))
    result = run_nas(["search", str(tmp / "exp.yaml"), "-q"], timeout=300)
    assert result.returncode == 0, result.stderr
    return out


def test_train_best_writes_weights_arch_and_an_onnx_that_matches_torch(run_dir):
    result = run_nas(["train-best", str(run_dir), "--epochs", "2"], timeout=300)
    assert result.returncode == 0, result.stderr
    record = json.loads((run_dir / "train_best" / "train_best.json").read_text())[0]
    best = max(json.loads((run_dir / "pareto.json").read_text()), key=lambda r: r["val_acc"])
    assert record["archid"] == best["archid"] and record["epochs"] == 2 and record["val_acc"] > 0.5

    import onnxruntime
    import torch
    from nas_search_spaces.cnn import CNNSearchSpace

    space = CNNSearchSpace(max_layers=2, hidden_list=[8, 16])
    model = space.load_arch(record["arch"])
    space.load_model_weights(model, record["weights"])
    model.arch.eval()
    x = torch.randn(4, 1, 8, 8)
    with torch.no_grad():
        expected = model.arch(x).numpy()
    session = onnxruntime.InferenceSession(record["onnx"], providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x.numpy()})[0]
    assert np.allclose(got, expected, atol=1e-4)


def test_train_best_on_a_directory_without_a_run_is_an_error(tmp_path):
    result = run_nas(["train-best", str(tmp_path)])
    assert result.returncode == 2 and "not a search output directory" in result.stderr
