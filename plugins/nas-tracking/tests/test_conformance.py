"""The kit's tracker checks (a new run, then a resumed one) on every tracker, against the real
libraries writing local files: an MLflow SQLite store, TensorBoard event files, a W&B offline run."""
import importlib.util
import os

from nas_kernel.testing import parametrize_with_checks
from nas_tracking.mlflow_tracker import MLflowTracker
from nas_tracking.tensorboard_tracker import TensorBoardTracker
from .tracking_runs import MLFLOW_URI

os.environ.setdefault("WANDB_SILENT", "true")


TRACKERS = [MLflowTracker(tracking_uri=MLFLOW_URI, experiment_name="kit"), TensorBoardTracker()]
if importlib.util.find_spec("wandb") is not None:  # the wandb extra (CI installs every extra)
    from nas_tracking.wandb_tracker import WandbTracker

    TRACKERS.append(WandbTracker())


@parametrize_with_checks(TRACKERS)
def test_conformance(component, check):
    check(component)
