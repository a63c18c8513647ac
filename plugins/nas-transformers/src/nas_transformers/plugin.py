"""Registers the language-model components with NAS Kernel (lazy references: no torch here)."""
from nas_kernel import hookimpl

EVALUATORS = {
    "lm_training": "nas_transformers.lm_training:LanguageModelTraining",
    "non_embedding_params": "nas_transformers.params_proxy:NonEmbeddingParamsProxy",
    "generation_latency": "nas_transformers.generation_latency:GenerationLatency",
    "inference_memory": "nas_transformers.inference_memory:PeakInferenceMemory",
    "transformer_flex_onnx_latency": "nas_transformers.onnx_objectives:TransformerFlexOnnxLatency",
    "transformer_flex_onnx_memory": "nas_transformers.onnx_objectives:TransformerFlexOnnxMemory",
}


@hookimpl
def register_search_spaces(register):
    register("transformer_flex", "nas_transformers.search_space:TransformerFlexSearchSpace")


@hookimpl
def register_datasets(register):
    register("text", "nas_transformers.text_data:TextCorpus")


@hookimpl
def register_evaluators(register):
    for name, ref in EVALUATORS.items():
        register(name, ref)
