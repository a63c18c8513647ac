"""ONNX export of a ``transformer_flex`` decoder, with or without a key/value cache.

The TorchScript-based exporter (``dynamo=False``) is used: it needs no onnxscript. Without a
cache the graph is ``input_ids -> logits``; with one, ``input_ids, past_key_i, past_value_i... ->
logits, present_key_i, present_value_i...``, each cache tensor ``(batch, kv_heads, positions,
head_dim)`` with dynamic batch and positions (zero cached positions is a valid input: the prompt
step). With ``next_token`` the first output is ``probs`` instead, ``(batch, vocab)``: the softmax of
the last position's logits, which is all a generation step uses. It is the graph Archai's ONNX
objectives export and time; for a large vocabulary the output head over every position is most of
a run.

The weights are traced as inputs of the graph and only then declared as its initializers
(``export_in_memory``): the exporter's whole-graph shape inference otherwise serialises every
weight, which for a 50257-token embedding was most of an export's time, and it merges weights
whose values are equal, so a constant-weight model (what the ONNX objectives measure) was written
with one copy of the layers. Their bytes stay in the torch tensors' memory until a file is written.
"""
from __future__ import annotations

import io
import warnings
from typing import Dict, List

import numpy as np
import torch
from torch import nn

OPSET = 17
IN_MEMORY = "in-memory"  # the external-data location of weights that onnxruntime is handed directly


class _Graph(nn.Module):
    """The decoder as an ONNX graph can carry it: the cache (when there is one) as flat inputs and
    outputs, and the first output every position's logits or the next token's probabilities."""

    def __init__(self, net, use_past: bool, next_token: bool) -> None:
        super().__init__()
        self.net, self.use_past, self.next_token = net, use_past, next_token

    def forward(self, input_ids, *flat_past):
        past = [(flat_past[i], flat_past[i + 1]) for i in range(0, len(flat_past), 2)] if self.use_past else None
        states, presents = self.net.hidden(input_ids, past)
        if self.next_token:
            first = torch.softmax(self.net.lm_head(states[:, -1, :]), dim=-1)
        else:
            first = self.net.lm_head(states)
        return (first, *[t for pair in presents for t in pair]) if self.use_past else first


class _WeightsAsInputs(nn.Module):
    """``module`` with its parameters taken as trailing inputs: each is bound to every place it
    was held (a tied head and its embedding share one input) before the call."""

    def __init__(self, module, places: List[list], n_data: int) -> None:
        super().__init__()
        self.inner, self.places, self.n_data = [module], places, n_data  # a list: not a submodule

    def forward(self, *args):
        for slots, weight in zip(self.places, args[self.n_data:]):
            for owner, name in slots:
                setattr(owner, name, weight)
        return self.inner[0](*args[:self.n_data])


class OnnxExport:
    """An exported decoder: ``graph`` (an ``onnx.ModelProto`` whose weights are initializers
    marked as external data) and ``weights`` (name -> numpy array, sharing the torch tensors'
    memory). onnxruntime takes both without a file; ``save`` writes the usual self-contained file,
    and ``file_bytes`` is that file's size, computed without writing it."""

    def __init__(self, graph, weights: Dict[str, np.ndarray]) -> None:
        self.graph, self.weights = graph, weights

    def embedded(self):
        """The model with the weights' bytes inside (what ``save`` writes)."""
        import onnx
        from onnx import numpy_helper

        model = onnx.ModelProto()
        model.CopyFrom(self.graph)
        for tensor in model.graph.initializer:
            if tensor.name in self.weights:
                tensor.CopyFrom(numpy_helper.from_array(self.weights[tensor.name], tensor.name))
        return model

    def save(self, path: str) -> str:
        with open(path, "wb") as f:
            f.write(self.embedded().SerializeToString())
        return path

    def file_bytes(self) -> int:
        """Bytes of the file ``save`` writes: the protobuf sizes of the graph plus, per weight,
        its raw bytes and their field headers (ModelProto.graph, GraphProto.initializer and
        TensorProto.raw_data are fields 7, 5 and 9: one-byte tags)."""
        from onnx import TensorProto

        graph_now = self.graph.graph.ByteSize()
        graph_saved = graph_now
        for tensor in self.graph.graph.initializer:
            if tensor.name not in self.weights:
                continue
            bare = TensorProto(name=tensor.name, dims=tensor.dims, data_type=tensor.data_type)
            saved = bare.ByteSize() + _field_bytes(self.weights[tensor.name].nbytes)
            graph_saved += _field_bytes(saved) - _field_bytes(tensor.ByteSize())
        return self.graph.ByteSize() - _field_bytes(graph_now) + _field_bytes(graph_saved)

    def session(self, options, providers, disabled_optimizers=None):
        """An onnxruntime session of this export; the weights are handed over as they are in
        memory (``options`` gets them as external initializers)."""
        import onnxruntime as ort

        names = list(self.weights)
        options.add_external_initializers(names, [ort.OrtValue.ortvalue_from_numpy(self.weights[n]) for n in names])
        return ort.InferenceSession(self.graph.SerializeToString(), options, providers=providers,
                                    disabled_optimizers=disabled_optimizers)


def _varint_bytes(value: int) -> int:
    size = 1
    while value >= 0x80:
        value >>= 7
        size += 1
    return size


def _field_bytes(payload: int) -> int:
    """Bytes of a length-delimited protobuf field with a one-byte tag and ``payload`` bytes."""
    return 1 + _varint_bytes(payload) + payload


def cache_shapes(net, batch: int, positions: int) -> List[tuple]:
    """Shapes of the cache inputs, keys and values of each layer."""
    return [(batch, block.attn.n_kv_head, positions, block.attn.head_dim) for block in net.blocks for _ in (0, 1)]


def _parameter_places(net) -> List[dict]:
    """Each distinct parameter once, with its first dotted name and every (module, attribute)
    that holds it."""
    found: Dict[int, dict] = {}
    for prefix, module in net.named_modules(remove_duplicate=False):
        for name, parameter in module._parameters.items():
            if parameter is not None:
                entry = found.setdefault(id(parameter), {"name": f"{prefix}.{name}" if prefix else name,
                                                         "parameter": parameter, "places": []})
                if (module, name) not in [(m, n) for m, n in entry["places"]]:
                    entry["places"].append((module, name))
    return list(found.values())


def first_output(next_token: bool) -> str:
    """The name of the exported graph's first output."""
    return "probs" if next_token else "logits"


def export_in_memory(net, use_past: bool, opset: int = OPSET, next_token: bool = False) -> OnnxExport:
    """The ONNX graph of ``net`` (weights traced as inputs, then declared as initializers held in
    memory). ``net`` is left as it was."""
    import onnx

    net = net.eval()
    names = [f"past_{kind}_{i}" for i in range(len(net.blocks)) for kind in ("key", "value")]
    first = first_output(next_token)
    outputs = [first] + [n.replace("past", "present") for n in names] if use_past else [first]
    example = torch.zeros((1, 2), dtype=torch.long)
    axes: Dict[str, Dict[int, str]] = {"input_ids": {0: "batch", 1: "length"},
                                       first: {0: "batch"} if next_token else {0: "batch", 1: "length"}}
    module, args, inputs = _Graph(net, use_past, next_token), (example,), ["input_ids"]
    if use_past:
        args += tuple(torch.zeros(shape) for shape in cache_shapes(net, 1, 1))
        inputs += names
        for name in names:
            axes[name] = {0: "batch", 2: "past_length"}
            axes[name.replace("past", "present")] = {0: "batch", 2: "total_length"}
    params = _parameter_places(net)
    weights = [p["parameter"].detach() for p in params]
    for entry, weight in zip(params, weights):  # plain tensors while tracing: the module holds no parameters
        for owner, name in entry["places"]:
            del owner._parameters[name]
            setattr(owner, name, weight)
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            # no constant folding: it would store the tied output head a second time (transposed), which
            # for a 50257-token vocabulary is most of the file, and it takes longer
            torch.onnx.export(_WeightsAsInputs(module, [p["places"] for p in params], len(args)), (*args, *weights),
                              buffer, dynamo=False, opset_version=opset,
                              input_names=inputs + [p["name"] for p in params], output_names=outputs,
                              dynamic_axes=axes, do_constant_folding=False)
    finally:
        for entry in params:
            for owner, name in entry["places"]:
                delattr(owner, name)
                owner._parameters[name] = entry["parameter"]
    graph = onnx.load_from_string(buffer.getvalue())
    return OnnxExport(graph, _declare_initializers(graph, {p["name"]: w for p, w in zip(params, weights)}))


def _declare_initializers(model, weights: Dict[str, torch.Tensor]) -> Dict[str, np.ndarray]:
    """Turn the graph's weight inputs into initializers marked as held in memory; the arrays
    of those it uses (sharing the tensors' memory)."""
    from onnx import TensorProto, helper

    kept, arrays = [], {}
    for value in model.graph.input:
        if value.name not in weights:
            kept.append(value)
            continue
        array = weights[value.name].cpu().contiguous().numpy()
        tensor = TensorProto(name=value.name, dims=array.shape,
                             data_type=helper.np_dtype_to_tensor_dtype(array.dtype),
                             data_location=TensorProto.EXTERNAL)
        for key, text in (("location", IN_MEMORY), ("offset", "0"), ("length", str(array.nbytes))):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, text
        model.graph.initializer.append(tensor)
        arrays[value.name] = array
    del model.graph.input[:]
    model.graph.input.extend(kept)
    return arrays


def export(net, path: str, use_past: bool, opset: int = OPSET, next_token: bool = False) -> str:
    """Write ``net`` as a self-contained ONNX file at ``path``."""
    return export_in_memory(net, use_past, opset, next_token).save(path)


def dummy_inputs(net, batch: int, length: int, past_length: int, use_past: bool, vocab: int, seed: int = 0):
    """Inputs of the exported graph as numpy arrays (random token ids, zero cache)."""
    rng = np.random.default_rng(seed)
    feed = {"input_ids": rng.integers(0, vocab, size=(batch, length), dtype=np.int64)}
    if use_past:
        shapes = cache_shapes(net, batch, past_length)
        for i, shape in enumerate(shapes):
            feed[f"past_{'key' if i % 2 == 0 else 'value'}_{i // 2}"] = np.zeros(shape, dtype=np.float32)
    return feed
