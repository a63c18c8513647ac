"""Registers the trackers (lazy references: no tracking library is imported here)."""
from nas_kernel import hookimpl

TRACKERS = {
    "mlflow": "nas_tracking.mlflow_tracker:MLflowTracker",
    "tensorboard": "nas_tracking.tensorboard_tracker:TensorBoardTracker",
    "wandb": "nas_tracking.wandb_tracker:WandbTracker",
}


@hookimpl
def register_trackers(register):
    for name, ref in TRACKERS.items():
        register(name, ref)
