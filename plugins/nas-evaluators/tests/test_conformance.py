"""The kernel's conformance kit over every evaluator this plugin ships (Ray's run in test_ray.py,
inside a network namespace)."""
from evtest_models import TwoLayer, cnn_model
from nas_datasets import Digits
from nas_kernel.api import ArchaiModel
from nas_kernel.testing import parametrize_with_checks, with_inputs
from nas_evaluators import (AvgOnnxLatency, EvaluationFunction, GradNorm, Jacov, Naswot, PartialTraining,
                            ProcessPoolEvaluator, ProgressiveTraining, Snip, Synflow, TorchFlops, TorchLatency,
                            TorchMacs, TorchNumParameters, TorchPeakCpuMemory)

DIGITS = Digits(seed=0)


def models():
    return [cnn_model(4), cnn_model(8), ArchaiModel(TwoLayer(), "two-layer")]


EVALUATORS = [
    PartialTraining(DIGITS, epochs=1, progress_bar=False),
    TorchNumParameters(), TorchFlops(), TorchMacs(), TorchLatency(num_samples=3), TorchPeakCpuMemory(),
    AvgOnnxLatency(num_trials=2),
    Synflow(DIGITS), Naswot(DIGITS), GradNorm(DIGITS), Snip(DIGITS), Jacov(DIGITS),
    EvaluationFunction("evtest_helpers:archid_length"),
    ProgressiveTraining(None, DIGITS, "evtest_helpers:train_count"),
    ProcessPoolEvaluator(TorchNumParameters(), num_workers=1),
]


@parametrize_with_checks([with_inputs(e, models=models()) for e in EVALUATORS])
def test_conformance(component, check):
    check(component)
