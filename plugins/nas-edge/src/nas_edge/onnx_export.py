"""ONNX export of a module, as every component of this plugin does it.

The TorchScript exporter (``dynamo=False``) exports a small network in a fraction of a second
and needs no onnxscript; the module is exported in eval mode and left in the mode it was in.
"""
from __future__ import annotations

import io
import warnings


def export_onnx(module, example) -> bytes:
    """The ONNX bytes of ``module`` on the input ``example`` (input ``input``, output ``output``)."""
    import torch

    buffer = io.BytesIO()
    was_training = module.training
    module.eval()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, (example,), buffer, input_names=["input"], output_names=["output"],
                              dynamo=False)
    finally:
        module.train(was_training)
    return buffer.getvalue()


def require_onnxruntime(what: str):
    try:
        import onnxruntime
    except ImportError:
        raise ValueError(f"{what} needs onnxruntime: please run `pip install nas-edge[onnx]`") from None
    return onnxruntime
