"""Language-model search for NAS Kernel: the ``transformer_flex`` space, ``text`` data and the
evaluators of Lightweight Transformer Search, under Archai's class names. Names import lazily, so
importing the package (and the plugin module) does not import torch."""
from nas_kernel.toolbox.lazy import lazy_exports

_EXPORTS = {
    "TransformerFlexSearchSpace": "search_space",
    "TextCorpus": "text_data",
    "LanguageModelTraining": "lm_training",
    "NonEmbeddingParamsProxy": "params_proxy",
    "GenerationLatency": "generation_latency",
    "PeakInferenceMemory": "inference_memory",
    "TransformerFlexOnnxLatency": "onnx_objectives",
    "TransformerFlexOnnxMemory": "onnx_objectives",
    "export_huggingface": "huggingface_export",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
