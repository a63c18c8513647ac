"""The kernel's conformance kit over every evaluator this plugin ships (Ray's run in test_ray.py,
inside a network namespace)."""
from nas_evaluators.testing.models import TwoLayer, cnn_model
from nas_kernel.testing.reference import Glyphs
from nas_kernel.api import ArchaiModel
from nas_kernel.testing import parametrize_with_checks, with_inputs
from nas_evaluators import (AvgOnnxLatency, EvaluationFunction, GradNorm, Jacov, Naswot, PartialTraining,
                            ProcessPoolEvaluator, ProgressiveTraining, Snip, Synflow, TorchFlops, TorchLatency,
                            TorchMacs, TorchNumParameters, TorchPeakCpuMemory)

IMAGES = Glyphs(seed=0)


def models():
    return [cnn_model(4), cnn_model(8), ArchaiModel(TwoLayer(), "two-layer")]


EVALUATORS = [
    PartialTraining(IMAGES, epochs=1, progress_bar=False),
    TorchNumParameters(), TorchFlops(), TorchMacs(), TorchLatency(num_samples=3), TorchPeakCpuMemory(),
    AvgOnnxLatency(num_trials=2),
    Synflow(IMAGES), Naswot(IMAGES), GradNorm(IMAGES), Snip(IMAGES), Jacov(IMAGES),
    EvaluationFunction("nas_evaluators.testing.worker_functions:archid_length"),
    ProgressiveTraining(None, IMAGES, "nas_evaluators.testing.worker_functions:train_count"),
    ProcessPoolEvaluator(TorchNumParameters(), num_workers=1),
]


@parametrize_with_checks([with_inputs(e, models=models()) for e in EVALUATORS])
def test_conformance(component, check):
    check(component)
