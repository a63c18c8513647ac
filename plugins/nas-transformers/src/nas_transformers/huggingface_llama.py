"""The ``llama`` decoder in Hugging Face's terms: a ``LlamaConfig`` and the weights under
``LlamaForCausalLM``'s names, so ``from_pretrained`` of the exported folder gives the same logits.

The two decoders already compute the same thing: RMSNorm in float32 scaled by its weight, rotary
positions with the half-split rotation and base 10,000 on each head, grouped-query attention whose
key/value heads are repeated head by head, a SwiGLU MLP, no biases, the output head tied to the
token embedding. Only the fused query/key/value projection differs: Hugging Face keeps three, so it
is split in the order our attention reads it (queries, keys, values). A ``LlamaConfig`` has one
head count, one key/value head count and one MLP width for every layer, so a model whose layers
differ is refused rather than changed.
"""
from __future__ import annotations

import inspect
from typing import Any, Dict

from nas_transformers.huggingface_export import transformers_class, uniform_widths


def llama_config(net) -> Any:
    """The ``transformers.LlamaConfig`` of ``net`` (a ``LlamaFlex`` whose layers agree)."""
    config_class = transformers_class("LlamaConfig")
    widths = uniform_widths("LlamaConfig", {"n_head": [block.attn.n_head for block in net.blocks],
                                            "n_kv_head": [block.attn.n_kv_head for block in net.blocks],
                                            "d_inner": [block.mlp.gate.out_features for block in net.blocks]})
    rotary = net.blocks[0].attn.rotary
    accepted = inspect.signature(config_class.__init__).parameters
    # transformers 5 takes the rotary settings as rope_parameters; 4.x as rope_theta
    rope = ({"rope_parameters": {"rope_type": "default", "rope_theta": rotary.base}} if "rope_parameters" in accepted
            else {"rope_theta": rotary.base})
    return config_class(
        vocab_size=net.embed.num_embeddings, hidden_size=net.embed.embedding_dim,
        intermediate_size=widths["d_inner"], num_hidden_layers=len(net.blocks),
        num_attention_heads=widths["n_head"], num_key_value_heads=widths["n_kv_head"],
        head_dim=rotary.head_dim, hidden_act="silu", max_position_embeddings=net.max_positions,
        rms_norm_eps=net.norm.eps, attention_bias=False, mlp_bias=False,
        attention_dropout=net.blocks[0].attn.dropout, tie_word_embeddings=True,
        bos_token_id=None, eos_token_id=None, pad_token_id=None,  # the vocabulary is the corpus's
        architectures=["LlamaForCausalLM"], **rope)


def llama_state_dict(net) -> Dict[str, Any]:
    """``net``'s weights under ``LlamaForCausalLM``'s names (no ``lm_head``: tied)."""
    out = {"model.embed_tokens.weight": net.embed.weight, "model.norm.weight": net.norm.weight}
    for i, block in enumerate(net.blocks):
        prefix = f"model.layers.{i}."
        attn = block.attn
        q, k, v = attn.qkv.weight.split([attn.n_head * attn.head_dim, attn.n_kv_head * attn.head_dim,
                                         attn.n_kv_head * attn.head_dim], dim=0)
        out.update({prefix + "self_attn.q_proj.weight": q, prefix + "self_attn.k_proj.weight": k,
                    prefix + "self_attn.v_proj.weight": v, prefix + "self_attn.o_proj.weight": attn.proj.weight,
                    prefix + "mlp.gate_proj.weight": block.mlp.gate.weight,
                    prefix + "mlp.up_proj.weight": block.mlp.up.weight,
                    prefix + "mlp.down_proj.weight": block.mlp.down.weight,
                    prefix + "input_layernorm.weight": block.attn_norm.weight,
                    prefix + "post_attention_layernorm.weight": block.mlp_norm.weight})
    return {key: tensor.detach().to("cpu").contiguous().clone() for key, tensor in out.items()}
