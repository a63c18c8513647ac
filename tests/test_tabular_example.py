"""The "Tabular data" worked example of docs/data.md, as a user runs it: make_data.py writes the
tables from scikit-learn's bundled data sets, then `nas search` runs the regression experiment
(mlp space, table dataset, partial_training with task: regression) and the classification one
(the config space with a model factory next to the experiment file, no PYTHONPATH)."""
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from support import run_nas

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "tabular"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    target = tmp_path_factory.mktemp("tabular") / "tabular"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("runs", "*.csv", "*.parquet", "__pycache__"))
    subprocess.run([sys.executable, "make_data.py"], cwd=target, check=True, timeout=120)
    return target


def test_regression_on_a_csv_table_with_the_mlp_space(folder):
    done = run_nas(["search", "diabetes.yaml", "-q", "--set", "searcher.params.num_iters=1"], cwd=folder, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Pareto front (" in done.stdout and "r2" in done.stdout
    r2 = pd.read_csv(folder / "runs" / "diabetes" / "search_state.csv")["r2"]
    assert len(r2) == 6 and r2.max() > 0.25  # a linear model reaches about 0.45 on this data


def test_classification_on_parquet_with_a_model_factory_next_to_the_experiment(folder):
    done = run_nas(["search", "cancer.yaml", "-q"], cwd=folder, timeout=300)
    assert done.returncode == 0, done.stderr
    accuracies = pd.read_csv(folder / "runs" / "cancer" / "search_state.csv")["val_acc"]
    assert len(accuracies) and accuracies.max() > 0.9
