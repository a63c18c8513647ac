"""The kernel's conformance kit over the space (both decoders, shared and per-layer widths), the
evaluators on real sampled models, and the text dataset (whose splits are token windows, not
float features: the two checks written for classification data are expected to fail)."""
from .lm_helpers import corpus, tiny_space
from nas_kernel.testing import check_plugin, parametrize_with_checks, with_inputs
from nas_transformers import (GenerationLatency, LanguageModelTraining, NonEmbeddingParamsProxy, PeakInferenceMemory,
                              TransformerFlexOnnxLatency, TransformerFlexOnnxMemory)
from nas_transformers.plugin import EVALUATORS as REGISTERED

CORPUS = corpus()
SPACES = [tiny_space("gpt2"), tiny_space("llama"), tiny_space("gpt2", per_layer=False)]


def models():
    space = tiny_space("llama", seed=3)
    return [space.random_sample() for _ in range(2)]


EVALUATORS = [LanguageModelTraining(CORPUS, steps=2, batch_size=4, eval_tokens=256), NonEmbeddingParamsProxy(),
              GenerationLatency(prompt_length=4, new_tokens=4, num_samples=1), PeakInferenceMemory(seq_len=16),
              TransformerFlexOnnxLatency(seq_len=16), TransformerFlexOnnxMemory()]
WINDOW_CHECKS = ("check_splits_are_float_and_int64_tensors", "check_torch_dataset_matches_tensors")
WINDOWS = "token windows: X holds int64 token ids (N, seq_len) and y the shifted ids (N, seq_len)"


@parametrize_with_checks(SPACES + [with_inputs(e, models=models()) for e in EVALUATORS] + [CORPUS],
                         expected_failed_checks=lambda c: dict.fromkeys(WINDOW_CHECKS, WINDOWS)
                         if c is CORPUS else {})
def test_conformance(component, check):
    check(component)


def test_the_installed_plugin_registers_its_components():
    check_plugin("nas-transformers", expects={"search_spaces": ["transformer_flex"], "datasets": ["text"],
                                               "evaluators": sorted(REGISTERED)})
