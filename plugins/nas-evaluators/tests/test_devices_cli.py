"""The device rule through the real commands: a GPU asked for on a machine without one is exit 2
with one line naming the key, before anything trains. The commands run with
``CUDA_VISIBLE_DEVICES=""``, so they see no GPU on any machine."""
import os
import subprocess
import sys

import pytest

EXPERIMENT = """\
seed: 1
output_dir: {out}
search_space: {{name: cnn, params: {{max_layers: 2, hidden_list: [8]}}}}
objectives:
  - name: val_acc
    higher_is_better: true
    evaluator: {evaluator}
searcher: {{name: random, params: {{num_iters: 1, samples_per_iter: 2}}}}
"""


def nas(*args):
    return subprocess.run([sys.executable, "-m", "nas_kernel.cli", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})


@pytest.mark.parametrize("evaluator, key, says", [
    ("{name: partial_training, params: {device: cuda, epochs: 1}}", "objectives[0].evaluator.params",
     "device is 'cuda' but torch sees no CUDA device"),
    ("{name: process_pool, params: {devices: [cuda:0], evaluator: {name: partial_training}}}",
     "objectives[0].evaluator.params", "devices[0] is 'cuda:0' but torch sees no CUDA device"),
])
def test_nas_search_with_a_gpu_and_none_here_is_exit_2_naming_the_key(tmp_path, evaluator, key, says):
    path = tmp_path / "exp.yaml"
    path.write_text(EXPERIMENT.format(out=tmp_path / "run", evaluator=evaluator))
    result = nas("search", str(path), "-q")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and key in lines[0] and says in lines[0], result.stderr
    assert not (tmp_path / "run" / "results.db").exists()  # refused before anything ran


def test_train_best_with_a_gpu_and_none_here_is_exit_2(tmp_path):
    result = nas("train-best", str(tmp_path), "--device", "cuda")
    assert result.returncode == 2
    assert result.stderr.strip() == ("nas: error: --device is 'cuda' but torch sees no CUDA device on this machine "
                                     "(torch.cuda.is_available() is False); use 'cpu' or 'auto'")
