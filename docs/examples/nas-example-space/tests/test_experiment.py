"""The example experiment file runs with `nas search`, as a user would run it (shortened with
--set so the test stays quick). Needs the built-in datasets, evaluators and searchers."""
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

EXPERIMENT = Path(__file__).resolve().parent.parent / "experiment.yaml"


def test_example_experiment_runs(tmp_path):
    for dist in ("nas-datasets", "nas-evaluators", "nas-searchers"):
        try:
            metadata.distribution(dist)
        except metadata.PackageNotFoundError:
            pytest.skip(f"{dist} is not installed (pip install -e '.[experiment]')")
    out = tmp_path / "run"
    env = {**os.environ, "NAS_LOAD_PLUGINS": "nas-example-space,nas-datasets,nas-evaluators,nas-searchers"}
    result = subprocess.run(
        [sys.executable, "-m", "nas_kernel.cli", "search", str(EXPERIMENT), "-o", str(out), "-q",
         "--set", "searcher.params.num_iters=1", "--set", "searcher.params.init_num_models=3"],
        capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    listing = subprocess.run([sys.executable, "-m", "nas_kernel.cli", "results", "show", str(out)],
                             capture_output=True, text=True, env=env, timeout=120)
    assert listing.returncode == 0, listing.stderr
    assert "mlp-" in listing.stdout
