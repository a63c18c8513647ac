"""Exporting a found model to Hugging Face: ``GPT2LMHeadModel.from_pretrained`` (``gpt2``) and
``LlamaForCausalLM.from_pretrained`` (``llama``, grouped-query attention) of the written folder
give our logits, with and without a key/value cache, and our parameter count; models a config
cannot describe (layers that differ) are refused with a message and nothing written."""
import inspect
import os
import subprocess
import sys

import pytest
import torch

transformers = pytest.importorskip("transformers")
pytest.importorskip("safetensors")

from nas_transformers import TransformerFlexSearchSpace, export_huggingface  # noqa: E402

VOCAB, POSITIONS = 97, 24


def space(arch_type="gpt2", **kwargs):
    return TransformerFlexSearchSpace(arch_type, vocab_size=VOCAB, max_sequence_length=POSITIONS, **kwargs)


def with_random_weights(model):
    """Every parameter random (a fresh model has zero biases and unit norms, which would hide a
    bias or norm written to the wrong place)."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for parameter in model.arch.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.1)
    return model


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    gpt2 = space()
    model = with_random_weights(gpt2.make(dict(gpt2.fixed(), n_layer=2, d_model=32, n_head=4, d_inner=48)))
    folder = str(tmp_path_factory.mktemp("hf") / "model")
    assert export_huggingface(model, folder) == folder
    return model, folder


def assert_same_model(loaded, ours, tokens):
    """Equal parameter counts and logits (``ours`` in eval mode); returns ours for ``tokens``."""
    assert sum(p.numel() for p in loaded.parameters()) == sum(p.numel() for p in ours.parameters())
    with torch.no_grad():
        theirs, expected = loaded(tokens).logits, ours(tokens)
    assert theirs.abs().max() > 0.1  # random weights: a real comparison, not two zero tensors
    torch.testing.assert_close(theirs, expected, atol=1e-5, rtol=1e-5)
    return expected


TOKENS = torch.randint(0, VOCAB, (3, POSITIONS), generator=torch.Generator().manual_seed(1))


def test_hugging_face_loads_the_same_model(exported):
    model, folder = exported
    assert sorted(os.listdir(folder)) == ["config.json", "model.safetensors"]
    loaded = transformers.GPT2LMHeadModel.from_pretrained(folder).eval()
    config = loaded.config
    assert (config.n_layer, config.n_embd, config.n_head, config.n_inner) == (2, 32, 4, 48)
    assert (config.vocab_size, config.n_positions) == (VOCAB, POSITIONS)
    assert loaded.lm_head.weight.data_ptr() == loaded.transformer.wte.weight.data_ptr()  # tied, as ours
    assert_same_model(loaded, model.arch.eval(), TOKENS)


def test_layers_that_differ_are_refused_naming_what_differs(tmp_path):
    gpt2 = space(share_d_inner=False, share_n_head=False, max_layers=2)
    model = gpt2.make(dict(gpt2.fixed(), n_layer=2, d_model=32, n_head=[4, 2], d_inner=[48, 64]))
    with pytest.raises(ValueError, match=r"GPT2Config, which has one n_head and one d_inner.*"
                                         r"n_head \[4, 2\] and d_inner \[48, 64\]"):
        export_huggingface(model, str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def exported_llama(tmp_path_factory):
    llama = space("llama")
    model = with_random_weights(llama.make(dict(llama.fixed(), n_layer=2, d_model=32, n_head=4, n_kv_head=2,
                                                d_inner=48)))
    folder = str(tmp_path_factory.mktemp("hf") / "llama")
    assert export_huggingface(model, folder) == folder
    return model, folder


def test_hugging_face_loads_the_same_llama(exported_llama):
    """Rotary positions, grouped-query attention (2 key/value heads for 4 query heads), RMSNorm
    and SwiGLU must all match for the logits to agree, at every position and after a cache."""
    model, folder = exported_llama
    assert sorted(os.listdir(folder)) == ["config.json", "model.safetensors"]
    loaded = transformers.LlamaForCausalLM.from_pretrained(folder).eval()
    config = loaded.config
    assert (config.num_hidden_layers, config.hidden_size, config.num_attention_heads, config.num_key_value_heads,
            config.intermediate_size) == (2, 32, 4, 2, 48)
    assert (config.vocab_size, config.max_position_embeddings) == (VOCAB, POSITIONS)
    assert loaded.lm_head.weight.data_ptr() == loaded.model.embed_tokens.weight.data_ptr()
    ours = model.arch.eval()
    expected = assert_same_model(loaded, ours, TOKENS)
    with torch.no_grad():
        # the last 4 positions after a cache of the first 20, on both sides
        head, tail = TOKENS[:, :20], TOKENS[:, 20:]
        _, past = ours(head, use_cache=True)
        ours_cached, _ = ours(tail, past, use_cache=True)
        # transformers 5.x calls the cache ``cache``, 4.x ``past_key_values``
        key = "cache" if "cache" in inspect.signature(loaded.forward).parameters else "past_key_values"
        their_past = getattr(loaded(head, use_cache=True), key)
        theirs_cached = loaded(tail, use_cache=True, **{key: their_past}).logits
    torch.testing.assert_close(theirs_cached, expected[:, 20:], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ours_cached, expected[:, 20:], atol=1e-5, rtol=1e-5)


def test_llama_layers_that_differ_are_refused_naming_what_differs(tmp_path):
    llama = space("llama", max_layers=2, share_d_inner=False)
    model = llama.make(dict(llama.fixed(), n_layer=2, d_model=32, n_head=4, n_kv_head=[2, 1], d_inner=[48, 64]))
    with pytest.raises(ValueError, match=r"LlamaConfig, which has one n_head and one n_kv_head and one d_inner.*"
                                         r"n_kv_head \[2, 1\] and d_inner \[48, 64\]"):
        export_huggingface(model, str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_without_transformers_the_error_names_the_extra(tmp_path):
    """``transformers`` made unimportable in a fresh interpreter, as on an install without the extra."""
    script = (
        "import sys\n"
        "sys.modules['transformers'] = None\n"
        "from nas_transformers import TransformerFlexSearchSpace, export_huggingface\n"
        f"space = TransformerFlexSearchSpace('gpt2', vocab_size={VOCAB}, max_sequence_length={POSITIONS})\n"
        "model = space.make(dict(space.fixed(), n_layer=1, d_model=32, n_head=4, d_inner=48))\n"
        "try:\n"
        f"    export_huggingface(model, {str(tmp_path / 'out')!r})\n"
        "except ImportError as exc:\n"
        "    print(exc)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "pip install 'nas-transformers[hf]'" in result.stdout
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_model_on_cuda_exports_the_same_weights(exported, tmp_path):
    model, folder = exported
    model.arch.to("cuda")
    try:
        export_huggingface(model, str(tmp_path / "from_gpu"))
    finally:
        model.arch.to("cpu")
    from safetensors.torch import load_file

    on_gpu, on_cpu = load_file(str(tmp_path / "from_gpu" / "model.safetensors")), load_file(os.path.join(folder, "model.safetensors"))
    assert on_gpu.keys() == on_cpu.keys()
    for key in on_cpu:
        torch.testing.assert_close(on_gpu[key], on_cpu[key], atol=0, rtol=0)
