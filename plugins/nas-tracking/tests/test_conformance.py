"""The kit's tracker checks (a new run, then a resumed one) on every tracker, against the real
libraries writing local files: an MLflow SQLite store, TensorBoard event files, a W&B offline run."""
import os

from nas_kernel.testing import parametrize_with_checks
from nas_tracking.mlflow_tracker import MLflowTracker
from nas_tracking.tensorboard_tracker import TensorBoardTracker
from nas_tracking.wandb_tracker import WandbTracker
from trtest_helpers import MLFLOW_URI

os.environ.setdefault("WANDB_SILENT", "true")


@parametrize_with_checks([MLflowTracker(tracking_uri=MLFLOW_URI, experiment_name="kit"),
                          TensorBoardTracker(), WandbTracker()])
def test_conformance(component, check):
    check(component)
