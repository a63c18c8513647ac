"""An architecture of ``transformer_flex`` as a plain dictionary (Archai's ``metadata["config"]``):
``n_layer``, ``d_model``, and ``d_inner`` / ``n_head`` / ``n_kv_head`` either one number for every
layer or a list (one gene per possible layer, ``max_layers`` long; genes past ``n_layer`` are
carried for mutation and crossover but build nothing), plus the space's fixed ``vocab_size``,
``max_sequence_length`` and ``dropatt``.

Everything that must agree for every path (the archid, the model built, the parameter count
without building) reads the per-layer view made here, so they cannot drift apart.
"""
from __future__ import annotations

from typing import Any, Dict, List

ARCH_TYPES = ("gpt2", "llama")
PER_LAYER = ("d_inner", "n_head", "n_kv_head")


def layer_values(config: Dict[str, Any], key: str) -> List[int]:
    """``config[key]`` for each of the ``n_layer`` built layers."""
    value, n = config[key], config["n_layer"]
    return [int(v) for v in value[:n]] if isinstance(value, list) else [int(value)] * n


def layered(config: Dict[str, Any], arch_type: str) -> Dict[str, Any]:
    """The config with one entry per built layer for every per-layer setting (what models read)."""
    keys = PER_LAYER if arch_type == "llama" else PER_LAYER[:2]
    out = dict(config)
    for key in keys:
        out[key] = layer_values(config, key)
    return out


def problems(config: Dict[str, Any], arch_type: str) -> List[str]:
    """Why ``config`` cannot be built (empty when it can), each naming the key."""
    found = []
    d = config["d_model"]
    for i, heads in enumerate(layer_values(config, "n_head")):
        if heads < 1 or d % heads:
            found.append(f"n_head {heads} (layer {i}) does not divide d_model {d}")
        elif (d // heads) % 2 and arch_type == "llama":
            found.append(f"n_head {heads} (layer {i}) gives an odd head width {d // heads}; rotary needs an even one")
        if arch_type == "llama":
            kv = layer_values(config, "n_kv_head")[i]
            if kv < 1 or heads % kv:
                found.append(f"n_kv_head {kv} (layer {i}) does not divide n_head {heads}")
    return found


def archid(config: Dict[str, Any], arch_type: str) -> str:
    """A readable identifier of the built architecture, e.g. ``gpt2_L2_d128_h4_i512`` or
    ``llama_L2_d128_h4-2_kv2-1_i256``: per-layer values joined by ``-`` when they differ."""
    def part(key: str) -> str:
        values = layer_values(config, key)
        return "-".join(map(str, values)) if len(set(values)) > 1 else str(values[0])

    pieces = [arch_type, f"L{config['n_layer']}", f"d{config['d_model']}", f"h{part('n_head')}"]
    if arch_type == "llama":
        pieces.append(f"kv{part('n_kv_head')}")
    pieces.append(f"i{part('d_inner')}")
    return "_".join(pieces)


def gpt2_param_count(config: Dict[str, Any]) -> int:
    """Parameters of the GPT-2 decoder, as Hugging Face's ``GPT2LMHeadModel`` counts them (the
    output head is tied to the token embedding, so it adds nothing):

    ``V*d + P*d`` (token and position embeddings) ``+ 2d`` (final LayerNorm) ``+ sum over layers of
    (4*d*d + 2*d*i + 9*d + i)``: the fused query/key/value projection ``3d*d + 3d``, the output
    projection ``d*d + d``, two LayerNorms ``4d``, and the MLP ``d*i + i + i*d + d``."""
    d, V, P = config["d_model"], config["vocab_size"], config["max_sequence_length"]
    layers = sum(4 * d * d + 2 * d * i + 9 * d + i for i in layer_values(config, "d_inner"))
    return V * d + P * d + 2 * d + layers


def llama_param_count(config: Dict[str, Any]) -> int:
    """Parameters of the modern decoder: ``V*d`` (tied embedding) ``+ d`` (final RMSNorm) ``+ sum
    over layers of (d*(h + 2*kv)*d/h + d*d + 3*d*i + 2*d)``: query/key/value with ``kv`` key/value
    heads of width ``d/h``, the output projection, SwiGLU's three matrices and two RMSNorms."""
    d, V = config["d_model"], config["vocab_size"]
    total = V * d + d
    for h, kv, i in zip(layer_values(config, "n_head"), layer_values(config, "n_kv_head"),
                        layer_values(config, "d_inner")):
        total += d * (h + 2 * kv) * (d // h) + d * d + 3 * d * i + 2 * d
    return total


def param_count(config: Dict[str, Any], arch_type: str) -> int:
    return gpt2_param_count(config) if arch_type == "gpt2" else llama_param_count(config)


def embedding_param_count(config: Dict[str, Any], arch_type: str) -> int:
    """Parameters in ``nn.Embedding`` modules (token, and GPT-2's learned positions)."""
    d = config["d_model"]
    return config["vocab_size"] * d + (config["max_sequence_length"] * d if arch_type == "gpt2" else 0)


def build(config: Dict[str, Any], arch_type: str):
    """The torch module of ``config`` (torch is imported here, not when the space is built)."""
    if arch_type == "gpt2":
        from nas_transformers.gpt2 import GPT2Flex

        return GPT2Flex(layered(config, arch_type))
    from nas_transformers.llama import LlamaFlex

    return LlamaFlex(layered(config, arch_type))


def build_for_measuring(config: Dict[str, Any], arch_type: str):
    """The module of ``config`` with constant weights, for measurements that do not depend on the
    weights' values (latency, memory, export size). ``torch.nn.init`` is skipped while it is built
    (``_no_initialisation``): for a 50257-token embedding the random initialisation costs more than
    exporting the model. (Building on the meta device skips it too, but its first ``to_empty``
    imports torch's symbolic-shape machinery, over a second of a search's first candidate.)"""
    import torch

    with _no_initialisation():
        net = build(config, arch_type)
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.fill_(0.02)
    return net


def _no_initialisation():
    """A torch function mode in which every ``torch.nn.init`` function returns its tensor as it
    is (uninitialised memory, overwritten by the caller)."""
    import torch

    class NoInitialisation(torch.overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if getattr(func, "__module__", None) == "torch.nn.init":
                return args[0] if args else kwargs["tensor"]
            return func(*args, **kwargs)

    return NoInitialisation()
