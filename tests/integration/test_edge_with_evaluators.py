"""nas-edge with nas-evaluators' components (moved from nas-edge's tests, which run without the
other plugins): the table's space takes the sizes its experiment leaves out from data read inside
a process_pool, and a supernet trained through a process_pool wrapper serves a search whose front
``nas train-best`` then trains."""
import json
import os
import subprocess
import sys

import yaml

from nas_edge.latency_table import build_table, save_table
from nas_edge.mobilenet_space import MobileNetSearchSpace
from nas_edge.timing import TimingSettings

SPACE = {
    "in_channels": 1, "num_classes": 10, "img_size": 8, "resolutions": [8, 12], "widths": [0.5],
    "depths": [1, 2], "kernels": [3, 5], "expansions": [3, 6],
    "stages": [{"channels": 16, "stride": 2, "se": False, "act": "relu"},
               {"channels": 24, "stride": 2, "se": True, "act": "hswish"}],
    "stem_channels": 8, "head_channels": 32, "feature_channels": 32,
}
TABLE = {"name": "latency_ms", "higher_is_better": False, "compute_intensive": False,
         "evaluator": {"name": "latency_table", "params": {"table": "table.json"}}, "constraint": [0, 1000]}


def write_experiment(folder, objectives, space=SPACE):
    experiment = {"seed": 1, "output_dir": "run", "search_space": {"name": "mobilenet", "params": space},
                  "objectives": objectives,
                  "searcher": {"name": "random", "params": {"num_iters": 1, "samples_per_iter": 4}}}
    path = folder / "experiment.yaml"
    path.write_text(yaml.safe_dump(experiment, sort_keys=False))
    return path


def nas(folder, *args):
    return subprocess.run([sys.executable, "-m", "nas_kernel.cli", *args], capture_output=True, text=True,
                          cwd=folder, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""}, timeout=300)


def test_the_table_s_space_takes_sizes_from_data_inside_a_process_pool(tmp_path):
    from nas_edge.space_record import space_from_experiment
    from nas_kernel.plugins import make_plugin_manager

    sized = {k: v for k, v in SPACE.items() if k not in ("in_channels", "num_classes", "img_size")}
    trained = {"name": "val_acc", "higher_is_better": True, "evaluator": {"name": "process_pool", "params": {
        "num_workers": 1, "evaluator": {"name": "partial_training", "params": {"dataset": {"name": "digits"}}}}}}
    path = write_experiment(tmp_path, [trained, TABLE], space=sized)
    space, record = space_from_experiment(str(path), make_plugin_manager())
    assert record["from_data"]["in_channels"] == 1 and record["from_data"]["num_classes"] == 10
    assert space.in_channels == 1


def test_a_supernet_trained_through_a_pool_serves_a_search_then_train_best(tmp_path):
    supernet = {"name": "supernet", "params": {
        "path": "sn", "epochs": 2, "batch_size": 32, "calibration_batches": 2,
        "dataset": {"name": "synthetic", "params": {"input_shape": [1, 8, 8], "num_train": 96, "num_val": 48}}}}
    pooled = {"name": "val_acc", "higher_is_better": True,
              "evaluator": {"name": "process_pool", "params": {"evaluator": supernet, "num_workers": 2}}}
    write_experiment(tmp_path, [pooled, TABLE])
    trained = nas(tmp_path, "supernet", "train", "experiment.yaml", "-o", "sn")
    assert trained.returncode == 0, trained.stderr
    assert "sn: supernet trained for 2 epochs (6 steps) on cpu" in trained.stdout
    record = {"name": "mobilenet", "params": SPACE, "from_data": {}, "seed": 1, "base_dir": None}
    save_table(build_table(MobileNetSearchSpace(**SPACE), record, TimingSettings(warmups=1, samples=2),
                           calibration=1, seconds=0), str(tmp_path / "table.json"))
    result = nas(tmp_path, "search", "experiment.yaml", "-q")
    assert result.returncode == 0, result.stderr
    rows = (tmp_path / "run" / "search_state.csv").read_text().splitlines()
    assert len(rows) == 5 and all(0 <= float(row.split(",")[1]) <= 1 for row in rows[1:])
    best = nas(tmp_path, "train-best", "run", "--epochs", "1", "--objective", "val_acc")
    assert best.returncode == 0, best.stderr
    records = json.loads((tmp_path / "run" / "train_best" / "train_best.json").read_text())
    assert len(records) == 1 and 0 <= records[0]["val_acc"] <= 1
    assert records[0]["onnx"] and os.path.isfile(records[0]["onnx"]) and os.path.isfile(records[0]["weights"])
