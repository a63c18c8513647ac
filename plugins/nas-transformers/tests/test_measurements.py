"""The cost objectives on real tiny decoders: generation latency with the KV cache, inference
memory, and Archai's ONNX pair (one export shared by both, with and without a cache, matching
torch), plus the limits they refuse."""
import os

import numpy as np
import onnxruntime as ort
import pytest
import torch

from .lm_helpers import tiny_space
from nas_transformers import (GenerationLatency, PeakInferenceMemory, TransformerFlexOnnxLatency,
                              TransformerFlexOnnxMemory)
from nas_transformers import onnx_objectives
from nas_transformers.onnx_export import dummy_inputs, export, export_in_memory

HAS_CUDA = torch.cuda.is_available()
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not HAS_CUDA, reason="torch sees no GPU"))]


@pytest.mark.parametrize("device", DEVICES)
def test_generation_latency_and_memory_grow_with_the_model(device):
    space = tiny_space("llama")
    fixed = space.fixed()
    small = space.make({"n_layer": 1, "d_model": 32, "n_head": 2, "n_kv_head": 1, "d_inner": 32, **fixed})
    large = space.make({"n_layer": 3, "d_model": 64, "n_head": 4, "n_kv_head": 2, "d_inner": 96, **fixed})
    memory = PeakInferenceMemory(seq_len=16, device=device)
    assert memory.evaluate(large) > memory.evaluate(small) > sum(p.numel() * 4 for p in small.arch.parameters())
    for mode in ("generate", "forward"):
        latency = GenerationLatency(mode=mode, prompt_length=8, new_tokens=8, seq_len=16, num_samples=3,
                                    device=device)
        assert 0 < latency.evaluate(small) < 1000


def test_lengths_beyond_the_models_context_are_refused_naming_the_key():
    model = tiny_space().random_sample()  # max_sequence_length 32
    with pytest.raises(ValueError, match="prompt_length \\+ new_tokens"):
        GenerationLatency(prompt_length=30, new_tokens=8).evaluate(model)
    with pytest.raises(ValueError, match="seq_len"):
        TransformerFlexOnnxLatency(seq_len=64).evaluate(model)


@pytest.mark.parametrize("arch_type", ["gpt2", "llama"])
@pytest.mark.parametrize("use_past", [False, True])
@pytest.mark.parametrize("next_token", [False, True])
def test_the_onnx_export_computes_what_torch_computes(arch_type, use_past, next_token, tmp_path):
    net = tiny_space(arch_type, seed=1).random_sample().arch.eval()
    path = export(net, str(tmp_path / "m.onnx"), use_past, next_token=next_token)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    assert names[0] == ("probs" if next_token else "logits") and len(names) == 1 + 2 * len(net.blocks) * use_past
    for past_length in ([0, 5] if use_past else [0]):
        feed = dummy_inputs(net, 2, 6, past_length, use_past, 256)
        for name in feed:
            if name.startswith("past"):
                feed[name] = np.random.default_rng(0).normal(size=feed[name].shape).astype(np.float32)
        with torch.no_grad():
            ids = torch.from_numpy(feed["input_ids"])
            past = [(torch.from_numpy(feed[f"past_key_{i}"]), torch.from_numpy(feed[f"past_value_{i}"]))
                    for i in range(len(net.blocks))] if use_past else None
            logits, presents = net(ids, past, use_cache=True)
        got = session.run(None, feed)
        if next_token:  # the next token's probabilities: the last position's softmax, one row per sequence
            assert got[0].shape == (2, 256)
            assert np.allclose(got[0], torch.softmax(logits[:, -1], dim=-1).numpy(), rtol=1e-3, atol=1e-6)
        else:
            assert np.allclose(got[0], logits.numpy(), atol=1e-4)
        expected_presents = [t.numpy() for pair in presents for t in pair] if use_past else []
        assert all(np.allclose(a, b, atol=1e-4) for a, b in zip(got[1:], expected_presents, strict=True))


def test_onnx_latency_and_memory_share_one_export_per_candidate():
    space = tiny_space("gpt2", seed=2)
    first, second = space.random_sample(), space.random_sample()
    latency, memory = TransformerFlexOnnxLatency(seq_len=16, n_trials=2), TransformerFlexOnnxMemory()
    assert latency.evaluate(first) > 0
    shared = onnx_objectives._EXPORT["export"]
    size = memory.evaluate(first)
    assert onnx_objectives._EXPORT["export"] is shared and size == shared.file_bytes() / 2 ** 20
    params = sum(p.numel() for p in first.arch.parameters()) * 4 / 2 ** 20  # tied head stored once
    assert params < size < 1.5 * params
    assert [o.name for o in shared.graph.graph.output][0] == "probs"  # Archai's graph: the next token's probabilities
    memory.evaluate(second)
    assert onnx_objectives._EXPORT["key"][0] == second.archid
    assert TransformerFlexOnnxLatency(seq_len=16, use_past=False, next_token=False).evaluate(second) > 0
    assert [o.name for o in onnx_objectives._EXPORT["export"].graph.graph.output] == ["logits"]


@pytest.mark.parametrize("next_token", [True, False])
def test_an_export_that_disagrees_with_torch_fails_the_candidate(next_token):
    """``validate`` compares onnxruntime with torch before timing; here the export held for the
    candidate is another architecture's (same shapes, other weights)."""
    space = tiny_space("gpt2", seed=6, per_layer=False)
    config = {"n_layer": 2, "d_model": 32, "n_head": 2, "d_inner": 64, **space.fixed()}
    model, other = space.make(config), space.make(config)
    other.arch.reset_parameters()
    latency = TransformerFlexOnnxLatency(seq_len=16, use_past=False, next_token=next_token)
    key = onnx_objectives.export_key(model, False, latency.opset, next_token)
    onnx_objectives._EXPORT.update(key=key, export=export_in_memory(other.arch, use_past=False, next_token=next_token))
    with pytest.raises(ValueError, match="disagrees with torch"):
        latency.evaluate(model)
    onnx_objectives._EXPORT.update(key=None, export=None)
    assert latency.evaluate(model) > 0


@pytest.mark.parametrize("arch_type", ["gpt2", "llama"])
def test_the_memory_objective_is_the_size_of_the_file_the_export_writes(arch_type, tmp_path):
    net = tiny_space(arch_type, seed=3).random_sample().arch
    in_memory = export_in_memory(net, use_past=False)
    path = export(net, str(tmp_path / "m.onnx"), use_past=False)
    assert in_memory.file_bytes() == os.path.getsize(path)
    assert sum(p.requires_grad for p in net.parameters()) == len(list(net.parameters()))  # parameters given back
    assert net.lm_head.weight is net.embed.weight


def test_a_candidate_measured_unbuilt_keeps_every_layers_weights():
    """Unbuilt candidates are measured with constant weights: equal layers must not be merged
    into one initializer (the exporter used to, and the file then held one layer of three)."""
    space = tiny_space("gpt2", seed=4, per_layer=False)
    fixed = space.fixed()
    model = space.make({"n_layer": 3, "d_model": 64, "n_head": 2, "d_inner": 96, **fixed})
    assert not model.is_built
    size = TransformerFlexOnnxMemory().evaluate(model) * 2 ** 20
    params = sum(p.numel() for p in model.arch.parameters()) * 4
    assert params < size < params + 200_000


@pytest.mark.parametrize("optimize, constant_folding", [(True, False), (True, True), (False, False)])
def test_the_latency_session_agrees_with_torch_with_and_without_constant_folding(optimize, constant_folding):
    """The objective checks onnxruntime's logits against torch's before timing (``validate``): a
    session whose weights' transposes are left unfolded must still compute the model."""
    model = tiny_space("gpt2", seed=5).random_sample()
    latency = TransformerFlexOnnxLatency(seq_len=16, use_past=False, optimize=optimize,
                                         constant_folding=constant_folding)
    assert latency.constant_folding is constant_folding and latency.validate
    assert latency.evaluate(model) > 0
