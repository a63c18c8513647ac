"""A found ``transformer_flex`` model as a Hugging Face folder (``config.json`` and
``model.safetensors``) that ``transformers.GPT2LMHeadModel.from_pretrained(folder)`` (``gpt2``)
or ``LlamaForCausalLM.from_pretrained(folder)`` (``llama``, see ``huggingface_llama``) loads with
the same outputs, so a searched model leaves NAS Kernel for the tools people serve models with.

Hugging Face's configs have one head count and one MLP width for every layer: a model whose
layers differ cannot be written as one, and is refused rather than changed. GPT-2's linear layers are
``Conv1D`` (the weight stored as ``(in, out)``, the transpose of ``nn.Linear``'s); the fused
query/key/value projection has the same split on both sides. The output head is tied to the token
embedding, so the file holds it once, as Hugging Face writes it. ``transformers`` is imported only
here, and only for the config: it is an optional extra (``nas-transformers[hf]``).
"""
from __future__ import annotations

import os
from typing import Any, Dict

INSTALL_HINT = "pip install 'nas-transformers[hf]'"


def _decoder_module(model: Any):
    """The torch module of ``model`` (an ``ArchaiModel`` of ``transformer_flex`` or the module
    itself), refused with one message unless it is one of the space's two decoders."""
    from nas_transformers.gpt2 import GPT2Flex
    from nas_transformers.llama import LlamaFlex

    net = getattr(model, "arch", model)
    if not isinstance(net, (GPT2Flex, LlamaFlex)):
        raise ValueError(f"cannot export {type(net).__name__} to Hugging Face: only transformer_flex models "
                         "are (arch_type 'gpt2' as a GPT2LMHeadModel, 'llama' as a LlamaForCausalLM)")
    return net


def uniform_widths(config_name: str, per_layer: Dict[str, list]) -> Dict[str, int]:
    """The one value of each per-layer width, or a message naming what differs (a Hugging Face
    config ``config_name`` has one value per width for all layers)."""
    differing = [f"{key} {values}" for key, values in per_layer.items() if len(set(values)) > 1]
    if differing:
        raise ValueError(f"cannot export to a Hugging Face {config_name}, which has one "
                         f"{' and one '.join(per_layer)} for all layers: the layers differ in "
                         f"{' and '.join(differing)}")
    return {key: values[0] for key, values in per_layer.items()}


def transformers_class(name: str):
    """``transformers.<name>``, or the extra to install."""
    try:
        import transformers
    except ImportError:
        raise ImportError(f"exporting to Hugging Face needs transformers: {INSTALL_HINT}") from None
    return getattr(transformers, name)


def gpt2_config(net):
    """The ``transformers.GPT2Config`` of ``net`` (a ``GPT2Flex``)."""
    widths = uniform_widths("GPT2Config", {"n_head": [block.attn.n_head for block in net.blocks],
                                           "d_inner": [block.mlp[0].out_features for block in net.blocks]})
    return transformers_class("GPT2Config")(
        vocab_size=net.embed.num_embeddings, n_positions=net.max_positions, n_embd=net.embed.embedding_dim,
        n_layer=len(net.blocks), n_head=widths["n_head"], n_inner=widths["d_inner"],
        activation_function="gelu_new",  # GELU with the tanh approximation, as GPT2Block uses
        resid_pdrop=net.drop.p, embd_pdrop=net.drop.p, attn_pdrop=net.blocks[0].attn.dropout,
        layer_norm_epsilon=net.norm.eps, tie_word_embeddings=True, scale_attn_weights=True,
        bos_token_id=None, eos_token_id=None,  # the vocabulary is the corpus's, not GPT-2's
        architectures=["GPT2LMHeadModel"])


def gpt2_state_dict(net) -> Dict[str, Any]:
    """``net``'s weights under Hugging Face's GPT-2 names and layouts (no ``lm_head``: tied)."""
    out = {"transformer.wte.weight": net.embed.weight, "transformer.wpe.weight": net.wpe.weight,
           "transformer.ln_f.weight": net.norm.weight, "transformer.ln_f.bias": net.norm.bias}
    for i, block in enumerate(net.blocks):
        prefix = f"transformer.h.{i}."
        linears = {"attn.c_attn": block.attn.qkv, "attn.c_proj": block.attn.proj,
                   "mlp.c_fc": block.mlp[0], "mlp.c_proj": block.mlp[2]}
        for name, linear in linears.items():
            out[prefix + name + ".weight"] = linear.weight.t()  # Conv1D stores (in, out)
            out[prefix + name + ".bias"] = linear.bias
        for name, norm in (("ln_1", block.ln_1), ("ln_2", block.ln_2)):
            out[prefix + name + ".weight"], out[prefix + name + ".bias"] = norm.weight, norm.bias
    return {key: tensor.detach().to("cpu").contiguous().clone() for key, tensor in out.items()}


def export_huggingface(model: Any, folder: str) -> str:
    """Write ``model`` (a ``transformer_flex`` ``ArchaiModel``, or its torch module) to ``folder``
    as ``config.json`` and ``model.safetensors``; returns ``folder``.

    Everything is checked before anything is written, and each file is written under a temporary
    name and renamed, so a refused or failed export leaves no half-written model."""
    from nas_transformers.gpt2 import GPT2Flex
    from nas_transformers.huggingface_llama import llama_config, llama_state_dict

    net = _decoder_module(model)
    config_of, tensors_of = (gpt2_config, gpt2_state_dict) if isinstance(net, GPT2Flex) else (llama_config,
                                                                                             llama_state_dict)
    config = config_of(net)
    try:
        from safetensors.torch import save_file
    except ImportError:
        raise ImportError(f"exporting to Hugging Face needs safetensors: {INSTALL_HINT}") from None
    tensors = tensors_of(net)
    config.dtype = str(net.embed.weight.dtype).removeprefix("torch.")
    os.makedirs(folder, exist_ok=True)
    staging = os.path.join(folder, ".nas-export")
    os.makedirs(staging, exist_ok=True)
    try:
        config.save_pretrained(staging)
        save_file(tensors, os.path.join(staging, "model.safetensors"), metadata={"format": "pt"})
        for name in ("config.json", "model.safetensors"):
            os.replace(os.path.join(staging, name), os.path.join(folder, name))
    finally:
        for name in os.listdir(staging):
            os.remove(os.path.join(staging, name))
        os.rmdir(staging)
    return folder
