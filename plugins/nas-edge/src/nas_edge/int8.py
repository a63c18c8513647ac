"""Post-training int8 quantization with ONNX Runtime, and what it costs or changes.

``static`` quantization (QDQ format, per-channel weights, activations calibrated on a batch of
the training data) is the one that speeds up convolutions on a CPU; ``dynamic`` quantizes only
the weights and computes activation scales at run time (no calibration data, smaller gains on
convolutional networks). Quantization works on files, so each call uses a private temporary
folder.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Optional

MODES = ("static", "dynamic")


class _Batches:
    """onnxruntime's calibration reader over one array of samples."""

    def __init__(self, name: str, samples) -> None:
        self.items = iter([{name: samples}])  # the export has a free batch dimension: one run

    def get_next(self):
        return next(self.items, None)


def quantize(blob: bytes, mode: str, calibration=None) -> bytes:
    """The int8 ONNX model of the fp32 model ``blob``; ``calibration`` (a float32 numpy array of
    samples, batch first) is required for ``static``."""
    import logging

    import onnx
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_dynamic, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory(prefix="nas-edge-int8-") as folder, _quiet_root_logger(logging.ERROR):
        raw, source = os.path.join(folder, "raw.onnx"), os.path.join(folder, "fp32.onnx")
        target = os.path.join(folder, "int8.onnx")
        with open(raw, "wb") as f:
            f.write(blob)
        # folds the exported graph's computed conv biases into constants, which the quantizer needs
        quant_pre_process(raw, source, skip_symbolic_shape=True)
        if mode == "dynamic":
            quantize_dynamic(source, target, weight_type=QuantType.QInt8, per_channel=True)
        else:
            if calibration is None:
                raise ValueError("static int8 quantization needs a calibration batch")
            name = onnx.load(source).graph.input[0].name
            quantize_static(source, target, _Batches(name, calibration), quant_format=QuantFormat.QDQ,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True)
        with open(target, "rb") as f:
            return f.read()


@contextlib.contextmanager
def _quiet_root_logger(level: int):
    """onnxruntime's quantizer logs advice on the root logger for every model; keep it quiet."""
    import logging

    root = logging.getLogger()
    before = root.level
    root.setLevel(max(level, before))
    try:
        yield
    finally:
        root.setLevel(before)


def onnx_accuracy(blob: bytes, X, y, threads: int = 1, chunk: int = 256) -> float:
    """Top-1 accuracy of an ONNX classifier (with a dynamic batch dimension or batch 1) on numpy
    arrays, run by onnxruntime on the CPU."""
    import numpy as np

    from nas_edge.timing import TimingSettings, onnx_session

    session = onnx_session(blob, TimingSettings(threads=threads))
    name = session.get_inputs()[0].name
    batch = session.get_inputs()[0].shape[0]
    step = chunk if not isinstance(batch, int) else batch
    correct = 0
    for start in range(0, len(X), step):
        out = session.run(None, {name: X[start:start + step]})[0]
        correct += int((np.argmax(out, axis=1) == y[start:start + step]).sum())
    return correct / max(1, len(X))


def export_dynamic_batch(net, example) -> bytes:
    """ONNX bytes of ``net`` with a free batch dimension (to score a whole split at once)."""
    import io
    import warnings

    import torch

    buffer = io.BytesIO()
    was_training = net.training
    net.eval()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(net, (example,), buffer, input_names=["input"], output_names=["output"],
                              dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, dynamo=False)
    finally:
        net.train(was_training)
    return buffer.getvalue()


def calibration_batch(dataset, samples: int, seed: int = 0):
    """``samples`` training inputs drawn with ``seed`` (float32 numpy)."""
    import torch

    X, _ = dataset.get_train()
    index = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))[:samples]
    return X[index].float().numpy()


def trained_state(training, model, budget: Optional[float]):
    """The weights ``training`` (a training evaluator with a ``checkpoint_dir``) left for
    ``model``, after running it; also its fp32 score."""
    from nas_kernel.toolbox.checkpoints import load_state
    from nas_kernel.paths import inside, safe_filename

    directory = getattr(training, "checkpoint_dir", None)
    if not directory:
        raise ValueError("int8 accuracy needs a training evaluator with checkpoint_dir set (the trained weights "
                         "are read from it)")
    score = training.evaluate(model, budget)
    state = load_state(inside(directory, safe_filename(model.archid) + ".pt"))
    if not isinstance(state, dict) or not isinstance(state.get("model"), dict):
        raise RuntimeError(f"the training evaluator left no checkpoint for {model.archid!r} in {directory}")
    return state["model"], float(score)
