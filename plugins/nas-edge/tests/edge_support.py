"""Shared by the nas-edge tests: a tiny mobilenet configuration, experiment files, the CLI (with
the test stand-ins for other plugins' components)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from .stand_ins import nas_env

HERE = Path(__file__).resolve().parent
TINY_SPACE = {
    "in_channels": 1, "num_classes": 10, "img_size": 8, "resolutions": [8, 12], "widths": [0.5],
    "depths": [1, 2], "kernels": [3, 5], "expansions": [3, 6],
    "stages": [{"channels": 16, "stride": 2, "se": False, "act": "relu"},
               {"channels": 24, "stride": 2, "se": True, "act": "hswish"}],
    "stem_channels": 8, "head_channels": 32, "feature_channels": 32,
}


def write_experiment(folder: Path, objectives, searcher=None, space=None) -> Path:
    experiment = {
        "seed": 1, "output_dir": "run",
        "search_space": {"name": "mobilenet", "params": space or TINY_SPACE},
        "objectives": objectives,
        "searcher": searcher or {"name": "sampling", "params": {"num_iters": 1, "samples_per_iter": 3}},
    }
    path = folder / "experiment.yaml"
    path.write_text(yaml.safe_dump(experiment, sort_keys=False))
    return path


def table_objective(**params):
    return {"name": "latency_ms", "higher_is_better": False, "compute_intensive": False,
            "evaluator": {"name": "latency_table", "params": {"table": "table.json", **params}},
            "constraint": [0, 1000]}


def nas(folder: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """The real ``nas ARGS`` in ``folder``, with this plugin and the test stand-ins (``stand_ins``)."""
    env = {**nas_env(Path(folder).parent / f"{Path(folder).name}-site"),
           "CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES", "")}
    return subprocess.run([sys.executable, "-m", "nas_kernel.cli", *args], capture_output=True, text=True,
                          cwd=folder, env=env, timeout=timeout)


def has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def search_rows(folder: Path):
    """Run ``nas search experiment.yaml -q`` in ``folder``; ``(result, search_state.csv lines)``."""
    result = nas(folder, "search", "experiment.yaml", "-q")
    assert result.returncode == 0, result.stderr
    return result, (folder / "run" / "search_state.csv").read_text().splitlines()
