"""Exporting a found GPT-2 model to Hugging Face: ``GPT2LMHeadModel.from_pretrained`` of the
written folder gives our logits and our parameter count; models a ``GPT2Config`` cannot describe
(layers that differ, the llama decoder) are refused with a message and nothing written."""
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


def test_hugging_face_loads_the_same_model(exported):
    model, folder = exported
    assert sorted(os.listdir(folder)) == ["config.json", "model.safetensors"]
    loaded = transformers.GPT2LMHeadModel.from_pretrained(folder).eval()
    config = loaded.config
    assert (config.n_layer, config.n_embd, config.n_head, config.n_inner) == (2, 32, 4, 48)
    assert (config.vocab_size, config.n_positions) == (VOCAB, POSITIONS)
    assert loaded.lm_head.weight.data_ptr() == loaded.transformer.wte.weight.data_ptr()  # tied, as ours
    ours = model.arch.eval()
    assert sum(p.numel() for p in loaded.parameters()) == sum(p.numel() for p in ours.parameters())
    tokens = torch.randint(0, VOCAB, (3, POSITIONS), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        theirs = loaded(tokens).logits
        expected = ours(tokens)
    assert theirs.abs().max() > 0.1  # random weights: a real comparison, not two zero tensors
    torch.testing.assert_close(theirs, expected, atol=1e-5, rtol=1e-5)


def test_layers_that_differ_are_refused_naming_what_differs(tmp_path):
    gpt2 = space(share_d_inner=False, share_n_head=False, max_layers=2)
    model = gpt2.make(dict(gpt2.fixed(), n_layer=2, d_model=32, n_head=[4, 2], d_inner=[48, 64]))
    with pytest.raises(ValueError, match=r"one n_head and one n_inner.*n_head \[4, 2\] and d_inner \[48, 64\]"):
        export_huggingface(model, str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_llama_is_refused(tmp_path):
    llama = space("llama")
    model = llama.make(dict(llama.fixed(), n_layer=1, d_model=32, n_head=4, n_kv_head=2, d_inner=48))
    with pytest.raises(ValueError, match="arch_type 'llama' cannot be exported to Hugging Face"):
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
