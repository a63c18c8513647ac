"""ONNX Runtime inference latency (Archai's ``AvgOnnxLatency``): export with ``torch.onnx``,
time with onnxruntime on the CPU, or on a GPU through onnxruntime's CUDA execution provider
(the ``onnxruntime-gpu`` build; asking for a GPU from an onnxruntime without it is a clear error
when the experiment is built, never a silent CPU run). As in Archai, a timed run includes moving
the numpy input to the GPU and the output back.

The export uses the TorchScript exporter (``dynamo=False``): 0.1-0.2 s per model, against
seconds (and the onnxscript package) for torch's newer default exporter. Unlike Archai, runs are
preceded by warm-up runs, and the session's threads are pinned.
"""
from __future__ import annotations

import io
import statistics
import time
import warnings
from typing import Any, Dict, List, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, ModelEvaluator
from nas_kernel.toolbox.devices import cuda_device_count, measured_on, parse_device
from nas_kernel.toolbox.params import check_int
from nas_evaluators.inputs import check_shape, check_threads

_DTYPES = {"torch.FloatTensor": "float32", "torch.DoubleTensor": "float64", "float32": "float32",
           "float64": "float64"}


class AvgOnnxLatency(ModelEvaluator):
    """Mean seconds per ONNX Runtime inference (median with ``use_median``).

    Args:
        input_shape: input shape, batch dimension first.
        num_trials: timed runs.
        input_dtype: ``"torch.FloatTensor"`` (Archai's spelling) / ``"float32"`` or float64.
        rand_range: the uniform range the random input is drawn from.
        export_kwargs: extra ``torch.onnx.export`` keyword arguments (e.g. ``opset_version``).
        device: ``cpu`` (default), ``cuda``, ``cuda:N`` (``gpu`` is Archai's spelling of ``cuda``)
            or ``auto`` (a GPU when onnxruntime has the CUDA execution provider and torch sees
            one). The CUDA provider is tried first and the CPU provider takes the nodes it lacks.
        inf_session_kwargs: extra ``onnxruntime.InferenceSession`` keyword arguments.
        num_warmups: untimed runs first.
        threads: onnxruntime intra-op threads.
        use_median: median instead of mean.
        seed: the random input's seed.
    """

    def __init__(self, input_shape: Optional[List[int]] = None, num_trials: int = 10,
                 input_dtype: str = "torch.FloatTensor", rand_range: Optional[List[float]] = None,
                 export_kwargs: Optional[Dict[str, Any]] = None, device: str = "cpu",
                 inf_session_kwargs: Optional[Dict[str, Any]] = None, num_warmups: int = 2,
                 threads: Optional[int] = 1, use_median: bool = False, seed: int = 0) -> None:
        self.input_shape = check_shape(input_shape)
        self.num_trials = check_int("num_trials", num_trials, 1)
        if input_dtype not in _DTYPES:
            raise ValueError(f"input_dtype must be one of {', '.join(_DTYPES)}, got {input_dtype!r}")
        self.input_dtype = input_dtype
        self.rand_range = tuple(rand_range if rand_range is not None else (0.0, 1.0))
        if len(self.rand_range) != 2 or not self.rand_range[0] < self.rand_range[1]:
            raise ValueError(f"rand_range must be [low, high] with low < high, got {rand_range!r}")
        self.export_kwargs = dict(export_kwargs or {})
        self.device = onnx_device("device", device)
        self.inf_session_kwargs = dict(inf_session_kwargs or {})
        self.num_warmups = check_int("num_warmups", num_warmups, 0)
        self.threads = check_threads(threads)
        self.use_median = bool(use_median)
        self.seed = int(seed)

    def export(self, arch, example) -> bytes:
        import torch

        buffer = io.BytesIO()
        kwargs = {"input_names": ["input"], "output_names": ["output"], "dynamo": False, **self.export_kwargs}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(arch, (example,), buffer, **kwargs)
        return buffer.getvalue()

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None):
        import numpy as np
        import torch

        try:
            import onnxruntime as ort
        except ImportError:
            raise ImportError("onnx_latency needs onnxruntime: please run `pip install nas-evaluators[onnx]`") from None
        net = arch.arch
        low, high = self.rand_range
        rng = np.random.default_rng(self.seed)
        x = rng.uniform(low, high, size=self.input_shape).astype(_DTYPES[self.input_dtype])
        was_training = net.training
        net.eval()
        try:
            blob = self.export(net, torch.from_numpy(x))
        finally:
            net.train(was_training)
        options = ort.SessionOptions()
        if self.threads is not None:
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
        device = measured_on("device", self.device)  # cpu stays the CPU in a GPU-pinned pool worker
        session_kwargs = {"providers": session_providers(device), **self.inf_session_kwargs}
        session = ort.InferenceSession(blob, sess_options=options, **session_kwargs)
        if device != "cpu" and session.get_providers()[0] != "CUDAExecutionProvider":
            raise RuntimeError(f"onnxruntime could not run on {device} (its session uses {session.get_providers()}); "
                               "check that onnxruntime-gpu matches this machine's CUDA")
        feed = {session.get_inputs()[0].name: x}
        for _ in range(self.num_warmups):
            session.run(None, feed)
        times = []
        for _ in range(self.num_trials):
            start = time.perf_counter()
            session.run(None, feed)
            times.append(time.perf_counter() - start)
        return float(statistics.median(times) if self.use_median else statistics.fmean(times))


CUDA_PROVIDER = "CUDAExecutionProvider"


def onnx_device(name: str, value: Any, available: Optional[List[str]] = None) -> str:
    """``value`` as ``"cpu"`` or ``"cuda:N"`` for onnxruntime, whose providers (``available``,
    default: this installation's) decide whether a GPU can be used; a ``ValueError`` naming
    ``name`` otherwise."""
    kind, index = parse_device(name, "cuda" if value == "gpu" else value)
    if kind == "cpu":
        return "cpu"
    if available is None:
        try:
            import onnxruntime
        except ImportError:
            raise ValueError(f"{name} is {value!r}: onnx_latency on a GPU needs onnxruntime-gpu "
                             "(pip install onnxruntime-gpu)") from None
        available = list(onnxruntime.get_available_providers())
    has_cuda = CUDA_PROVIDER in available
    if kind == "auto":
        return "cuda:0" if has_cuda and cuda_device_count() else "cpu"
    if not has_cuda:
        raise ValueError(f"{name} is {value!r} but this onnxruntime has no {CUDA_PROVIDER} (it offers "
                         f"{', '.join(available) or 'none'}); install onnxruntime-gpu, or use 'cpu'")
    return f"cuda:{index or 0}"


def session_providers(device: str) -> list:
    """onnxruntime's providers for ``device``: the CUDA one on that GPU first, the CPU one always."""
    if device == "cpu":
        return ["CPUExecutionProvider"]
    return [(CUDA_PROVIDER, {"device_id": int(device.split(":", 1)[1])}), "CPUExecutionProvider"]
