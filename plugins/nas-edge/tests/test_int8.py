"""The int8 evaluator: size and latency of the quantized model (static and dynamic), and accuracy
after post-training quantization of the weights a training evaluator saved, on digits."""
import pytest
import torch

from .edge_support import TINY_SPACE
from nas_edge.int8_evaluator import Int8Cost
from nas_edge.mobilenet_space import MobileNetSearchSpace
from nas_edge.onnx_export import export_onnx


#: wide enough that weights, not the graph's bookkeeping, make up the file
MEDIUM = {**TINY_SPACE, "resolutions": [12], "widths": [1.0], "head_channels": 384, "feature_channels": 512,
          "stages": [{"channels": 48, "stride": 2, "se": False, "act": "relu"},
                     {"channels": 96, "stride": 2, "se": True, "act": "hswish"}]}


@pytest.fixture(scope="module")
def model():
    return MobileNetSearchSpace(**MEDIUM, seed=4).random_sample()


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_int8_model_is_smaller_than_fp32(model, mode):
    fp32 = len(export_onnx(model.arch, torch.randn(*model.arch.input_shape))) / 1e6
    int8 = Int8Cost(metric="size_mb", mode=mode, calibration_samples=8).evaluate(model)
    assert 0 < int8 < 0.4 * fp32


def test_int8_latency_is_timed_with_onnxruntime(model):
    assert Int8Cost(metric="latency_ms", mode="static", calibration_samples=8, samples=3).evaluate(model) > 0


def registered(kind, name):
    """The factory of a component another distribution registers. Only a component that is not
    installed skips the test: one whose plugin is installed but broken, or that fails to load,
    fails it."""
    from nas_kernel.plugins import make_plugin_manager
    from nas_kernel.registry import UnknownComponent

    manager = make_plugin_manager()
    try:
        entry = manager.registry.get(kind, name)
    except UnknownComponent:
        if manager.broken():  # perhaps the broken plugin is the one that registers it
            raise
        pytest.skip(f"{kind} {name!r} is not installed (it lives in another distribution)")
    return entry.load()


def test_only_a_component_that_is_not_installed_skips(monkeypatch):
    from nas_kernel.registry import ComponentEntry

    with pytest.raises(pytest.skip.Exception, match="'no-such-dataset' is not installed"):
        registered("datasets", "no-such-dataset")

    def broken(self):
        raise ImportError("the component's module fails to import")

    monkeypatch.setattr(ComponentEntry, "load", broken)
    with pytest.raises(ImportError, match="fails to import"):  # a broken one fails, it is not skipped
        registered("evaluators", "partial_training")


def test_accuracy_after_quantization_uses_the_trained_weights(tmp_path):
    model = MobileNetSearchSpace(**{**TINY_SPACE, "resolutions": [8]}, seed=4).random_sample()
    digits = registered("datasets", "digits")(seed=0)
    training = registered("evaluators", "partial_training")(dataset=digits, epochs=2, checkpoint_dir=str(tmp_path),
                                                            progress_bar=False, device="cpu")
    drop = Int8Cost(metric="accuracy_drop", mode="static", dataset=digits, training=training,
                    calibration_samples=16).evaluate(model)
    fp32, int8 = model.metadata["fp32_accuracy"], model.metadata["int8_accuracy"]
    assert fp32 > 0.3, "two epochs on digits should learn something"
    assert drop == pytest.approx(fp32 - int8) and abs(drop) < 0.2
    assert 0 <= int8 <= 1


@pytest.mark.parametrize("params, says", [
    ({"metric": "accuracy"}, "needs dataset"),
    ({"metric": "speed"}, "metric must be one of"),
    ({"mode": "fp16"}, "mode must be one of"),
])
def test_bad_settings_are_refused(params, says):
    with pytest.raises(ValueError, match=says):
        Int8Cost(**params)
