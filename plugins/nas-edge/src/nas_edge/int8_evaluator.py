"""The ``int8`` evaluator: what a candidate costs, or loses, once quantized to int8 for shipping.

``metric`` picks the figure: ``size_mb`` (the int8 ONNX file), ``latency_ms`` (ONNX Runtime on
this CPU, threads pinned), ``accuracy`` (validation accuracy of the int8 model after post-training
quantization) or ``accuracy_drop`` (fp32 accuracy minus int8 accuracy). The accuracy metrics
train the candidate with the ``training`` evaluator given (``partial_training`` with a
``checkpoint_dir``: the trained weights are read back from it), so the search ranks the network
that will actually ship.
"""
from __future__ import annotations

import copy
from typing import List, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, DatasetProvider, ModelEvaluator
from nas_kernel.toolbox.params import check_choice, check_int
from nas_edge.int8 import MODES, calibration_batch, export_dynamic_batch, onnx_accuracy, quantize, trained_state
from nas_edge.model_input import check_shape, input_shape_of

METRICS = ("size_mb", "latency_ms", "accuracy", "accuracy_drop")


class Int8Cost(ModelEvaluator):
    """int8 size, latency or accuracy of a candidate (ONNX Runtime post-training quantization).

    Args:
        metric: ``size_mb``, ``latency_ms``, ``accuracy`` or ``accuracy_drop``.
        mode: ``static`` (calibrated on ``calibration_samples`` training inputs; the default) or
            ``dynamic`` (weights only).
        dataset: calibration data for ``static``, validation data for the accuracy metrics
            (random inputs calibrate when it is absent and only size or latency is asked).
        training: the training evaluator for the accuracy metrics (with ``checkpoint_dir``).
        calibration_samples: how many training inputs calibrate the activations.
        threads, warmups, samples, clock: ONNX Runtime timing for ``latency_ms`` (``clock``:
            ``wall``, or ``thread_cpu`` for one thread on a machine other jobs share).
        input_shape: the export's input when the network does not say it (batch first).
        seed: which calibration samples are drawn.
    """

    def __init__(self, metric: str = "size_mb", mode: str = "static", dataset: Optional[DatasetProvider] = None,
                 training: Optional[ModelEvaluator] = None, calibration_samples: int = 32, threads: int = 1,
                 warmups: int = 3, samples: int = 15, clock: str = "wall", input_shape: Optional[List[int]] = None,
                 seed: int = 0) -> None:
        self.metric = check_choice("metric", metric, METRICS)
        self.mode = check_choice("mode", mode, MODES)
        if self.metric in ("accuracy", "accuracy_drop"):
            if dataset is None or training is None:
                raise ValueError(f"metric {metric!r} needs dataset (validation data) and training (a training "
                                 "evaluator with checkpoint_dir)")
            if not getattr(training, "checkpoint_dir", None):
                raise ValueError("training needs checkpoint_dir set: the int8 model is made from the weights it "
                                 "saves there")
        self.dataset, self.training = dataset, training
        self.calibration_samples = check_int("calibration_samples", calibration_samples, 1)
        from nas_edge.timing import TimingSettings

        self.timing = TimingSettings.checked("cpu", "onnxruntime", threads, 1, warmups, samples, clock=clock)
        self.input_shape = check_shape("input_shape", input_shape)
        self.seed = check_int("seed", seed, 0)
        from nas_edge.onnx_export import require_onnxruntime

        require_onnxruntime("the int8 evaluator")

    def training_data(self):
        """The data the accuracy metrics train on (the search's data-fit check reads it)."""
        return self.dataset if self.metric in ("accuracy", "accuracy_drop") else None

    def _calibration(self, shape):
        import numpy as np

        if self.mode == "dynamic":
            return None
        if self.dataset is not None and tuple(shape[1:]) == tuple(self.dataset.get_train()[0].shape[1:]):
            return calibration_batch(self.dataset, self.calibration_samples, self.seed)
        rng = np.random.default_rng(self.seed)
        return rng.standard_normal((self.calibration_samples, *shape[1:])).astype("float32")

    def int8_model(self, net, shape) -> bytes:
        """The int8 ONNX bytes of ``net`` exported at ``shape``."""
        import torch

        example = torch.randn(*shape)
        return quantize(export_dynamic_batch(net, example), self.mode, self._calibration(shape))

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None) -> float:
        if self.metric in ("size_mb", "latency_ms"):
            shape = input_shape_of(arch.arch, self.input_shape, self.dataset)
            blob = self.int8_model(arch.arch, shape)
            if self.metric == "size_mb":
                return len(blob) / 1e6
            return self._latency(blob, shape)
        return self._accuracy(arch, budget)

    def _latency(self, blob: bytes, shape) -> float:
        from nas_edge.timing import time_onnx_ms

        return time_onnx_ms(blob, shape, self.timing)

    def _accuracy(self, arch: ArchaiModel, budget: Optional[float]) -> float:
        state, fp32 = trained_state(self.training, arch, budget)
        net = copy.deepcopy(arch.arch).cpu()
        net.load_state_dict(state)
        X, y = self.dataset.get_val()
        shape = (1, *X.shape[1:])  # the data's own size: a resize to the resolution is in the graph
        int8 = onnx_accuracy(self.int8_model(net, shape), X.float().numpy(), y.numpy(), self.timing.threads)
        arch.metadata["fp32_accuracy"], arch.metadata["int8_accuracy"] = fp32, int8
        return int8 if self.metric == "accuracy" else fp32 - int8
