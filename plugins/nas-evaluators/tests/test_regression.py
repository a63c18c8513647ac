"""partial_training with ``task: regression``: float targets, MSE training, mse/mae/r2 scores,
on the CPU and again on CUDA where torch sees a GPU; and its data-fit check (one batch through a
sample model) refusing a model with the wrong number of outputs."""
import pytest
import torch

from nas_kernel.api import ArchaiModel
from nas_kernel.api.dataset import DatasetProvider
from nas_kernel.data_fit import DataMismatch
from nas_evaluators import PartialTraining

HAS_CUDA = torch.cuda.is_available()
ON_EVERY_DEVICE = pytest.mark.parametrize("device", [
    "cpu", pytest.param("cuda", marks=pytest.mark.skipif(not HAS_CUDA, reason="torch sees no GPU"))])


class Linear(DatasetProvider):
    """y = X @ w + noise: an MLP reaches R^2 near 1 in a few epochs."""

    task = "regression"
    num_classes = 1
    input_shape = (6,)

    def __init__(self):
        gen = torch.Generator().manual_seed(0)
        X = torch.randn(600, 6, generator=gen)
        y = X @ torch.tensor([1.0, -2.0, 0.5, 0.0, 3.0, -1.0]) + 0.1 * torch.randn(600, generator=gen)
        self.splits = {"train": (X[:480], y[:480]), "val": (X[480:], y[480:])}

    def get_train(self):
        return self.splits["train"]

    def get_val(self):
        return self.splits["val"]


def mlp(outputs=1):
    return ArchaiModel(torch.nn.Sequential(torch.nn.Linear(6, 32), torch.nn.ReLU(), torch.nn.Linear(32, outputs)),
                       archid=f"mlp-{outputs}")


@ON_EVERY_DEVICE
def test_regression_trains_on_mse_and_reports_r2_mse_and_mae(device):
    data = Linear()
    scores = {metric: PartialTraining(data, task="regression", metric=metric, epochs=8, lr=1e-2, device=device,
                                      progress_bar=False).evaluate(mlp())
              for metric in ("r2", "mse", "mae")}
    assert scores["r2"] > 0.9 and 0 < scores["mse"] < 1.5 and 0 < scores["mae"] < 1.0, scores
    variance = float(data.get_val()[1].var(unbiased=False))
    assert abs(scores["r2"] - (1 - scores["mse"] / variance)) < 1e-4  # one definition of R^2


def test_regression_is_checked_against_the_data_and_the_metric():
    data = Linear()
    with pytest.raises(ValueError, match="the dataset holds regression targets; set task: regression"):
        PartialTraining(data)
    with pytest.raises(ValueError, match="metric must be one of r2, mse, mae, got 'accuracy'"):
        PartialTraining(data, task="regression", metric="accuracy")
    trainer = PartialTraining(data, task="regression")
    trainer.check_fits(mlp())  # one output per target: fits
    with pytest.raises(DataMismatch, match=r"the model gives outputs of shape \(3,\) per sample for 1 float target"):
        trainer.check_fits(mlp(outputs=3))
