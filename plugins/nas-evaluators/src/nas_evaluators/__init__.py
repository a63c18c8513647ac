"""Evaluators for NAS Kernel. Class names follow Archai's where Archai has the same evaluator.

Names are imported on first use so ``import nas_evaluators`` does not import torch.
"""
from nas_kernel.toolbox.lazy import lazy_exports

__version__ = "0.1.0"

_LAZY = {
    "EvaluationFunction": "function",
    "TorchNumParameters": "num_params",
    "TorchFlops": "flops",
    "TorchMacs": "flops",
    "TorchLatency": "latency",
    "TorchPeakCpuMemory": "memory",
    "TorchPeakCudaMemory": "memory",
    "AvgOnnxLatency": "onnx_latency",
    "PartialTraining": "training",
    "ProgressiveTraining": "progressive",
    "act_threshold": "act",
    "Synflow": "zero_cost",
    "Naswot": "zero_cost",
    "GradNorm": "zero_cost",
    "Snip": "zero_cost",
    "Jacov": "zero_cost",
    "ProcessPoolEvaluator": "process_pool",
    "RayParallelEvaluator": "ray_evaluator",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
