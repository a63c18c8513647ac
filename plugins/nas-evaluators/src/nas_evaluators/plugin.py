"""Registers this distribution's evaluators with NAS Kernel (lazy references: no torch here)."""
from nas_kernel import hookimpl

EVALUATORS = {
    "function": "nas_evaluators.function:EvaluationFunction",
    "num_params": "nas_evaluators.num_params:TorchNumParameters",
    "flops": "nas_evaluators.flops:TorchFlops",
    "macs": "nas_evaluators.flops:TorchMacs",
    "cpu_latency": "nas_evaluators.latency:TorchLatency",
    "peak_memory": "nas_evaluators.memory:TorchPeakCpuMemory",
    "onnx_latency": "nas_evaluators.onnx_latency:AvgOnnxLatency",
    "partial_training": "nas_evaluators.training:PartialTraining",
    "synflow": "nas_evaluators.zero_cost:Synflow",
    "naswot": "nas_evaluators.zero_cost:Naswot",
    "grad_norm": "nas_evaluators.zero_cost:GradNorm",
    "snip": "nas_evaluators.zero_cost:Snip",
    "jacov": "nas_evaluators.zero_cost:Jacov",
    "process_pool": "nas_evaluators.process_pool:ProcessPoolEvaluator",
    "ray": "nas_evaluators.ray_evaluator:RayParallelEvaluator",
}


@hookimpl
def register_evaluators(register):
    for name, ref in EVALUATORS.items():
        register(name, ref)
