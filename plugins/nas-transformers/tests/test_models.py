"""The decoders the space builds: parameter counts against the stated formulas, the key/value
cache against a full forward, the proxy's definition, archids and the Archai-style files."""
import itertools
import json

import pytest
import torch

from .lm_helpers import tiny_space
from nas_transformers import NonEmbeddingParamsProxy, TransformerFlexSearchSpace
from nas_transformers.arch_config import embedding_param_count, gpt2_param_count, param_count


def counted(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("d_model,n_head,d_inner,n_layer,vocab,positions",
                         [(64, 4, 256, 2, 256, 128), (96, 2, 64, 3, 1000, 64), (768, 12, 3072, 1, 50257, 1024)])
def test_gpt2_parameter_count_is_hugging_faces_formula(d_model, n_head, d_inner, n_layer, vocab, positions):
    """GPT2LMHeadModel (tied head) has V*d + P*d + 2d + n_layer * (4d^2 + 2*d*i + 9d + i)
    parameters; e.g. GPT-2 small (d 768, i 3072, 12 layers, V 50257, P 1024) has 124,439,808."""
    config = {"n_layer": n_layer, "d_model": d_model, "n_head": n_head, "d_inner": d_inner, "vocab_size": vocab,
              "max_sequence_length": positions, "dropatt": 0.0}
    expected = (vocab * d_model + positions * d_model + 2 * d_model
                + n_layer * (4 * d_model ** 2 + 2 * d_model * d_inner + 9 * d_model + d_inner))
    assert gpt2_param_count(config) == expected
    if (d_model, n_layer) == (768, 1):  # GPT-2 small's published size, from its one-layer figure (not built)
        assert expected + 11 * (4 * 768 ** 2 + 2 * 768 * 3072 + 9 * 768 + 3072) == 124_439_808
        return
    space = TransformerFlexSearchSpace("gpt2", max_layers=n_layer, vocab_size=vocab, max_sequence_length=positions)
    assert counted(space.make(config).arch) == expected


@pytest.mark.parametrize("arch_type", ["gpt2", "llama"])
def test_sampled_models_count_what_the_formula_says_and_the_proxy_leaves_out_embeddings(arch_type):
    space = tiny_space(arch_type, seed=5)
    for _ in range(6):
        model = space.random_sample()
        config = model.metadata["config"]
        assert counted(model.arch) == param_count(config, arch_type)
        proxy = NonEmbeddingParamsProxy(trainable_only=True).evaluate(model)
        assert proxy == param_count(config, arch_type) - embedding_param_count(config, arch_type)
    model.arch.blocks[0].attn.qkv.weight.requires_grad_(False)
    frozen = model.arch.blocks[0].attn.qkv.weight.numel()
    assert NonEmbeddingParamsProxy(trainable_only=True).evaluate(model) == proxy - frozen
    assert NonEmbeddingParamsProxy(trainable_only=False).evaluate(model) == proxy


@pytest.mark.parametrize("arch_type", ["gpt2", "llama"])
def test_generation_with_the_cache_gives_the_logits_of_a_full_forward(arch_type):
    model = tiny_space(arch_type, seed=2).random_sample().arch.eval()
    tokens = torch.randint(0, 256, (2, 20), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        full = model(tokens)
        logits, past = model(tokens[:, :12], use_cache=True)
        steps = [logits[:, -1]]
        for t in range(12, 20):
            logits, past = model(tokens[:, t:t + 1], past, use_cache=True)
            steps.append(logits[:, -1])
    assert torch.allclose(torch.stack(steps[:-1], 1), full[:, 11:19], atol=1e-5)


def test_llama_layers_use_grouped_query_attention_with_their_own_kv_heads():
    space = tiny_space("llama", per_layer=True)
    config = {"n_layer": 2, "d_model": 64, "n_head": [4, 2, 4], "n_kv_head": [1, 2, 2], "d_inner": [32, 96, 64],
              "vocab_size": 256, "max_sequence_length": 32, "dropatt": 0.0}
    model = space.make(config)
    assert model.archid == "llama_L2_d64_h4-2_kv1-2_i32-96"
    attn = [block.attn for block in model.arch.blocks]
    assert [(a.n_head, a.n_kv_head) for a in attn] == [(4, 1), (2, 2)]
    assert attn[0].qkv.out_features == (4 + 2 * 1) * 16


def test_heads_that_do_not_divide_the_width_are_refused_naming_the_key():
    with pytest.raises(ValueError, match="n_head_options"):
        TransformerFlexSearchSpace("gpt2", d_model_options=[30], n_head_options=[4])
    with pytest.raises(ValueError, match="n_kv_head 3 .* does not divide n_head 4"):
        tiny_space("llama").make({"n_layer": 1, "d_model": 64, "n_head": 4, "n_kv_head": 3, "d_inner": 32,
                                  "vocab_size": 256, "max_sequence_length": 32, "dropatt": 0.0})


def test_archai_style_arch_file_round_trips_and_rejects_another_arch_type(tmp_path):
    gpt2, llama = tiny_space("gpt2"), tiny_space("llama")
    model = gpt2.random_sample()
    path = str(tmp_path / "arch.json")
    gpt2.save_arch(model, path)
    with open(path, encoding="utf-8") as f:
        assert json.load(f)["arch_type"] == "gpt2"  # Archai's format: the config plus arch_type
    assert gpt2.load_arch(path).archid == model.archid
    with pytest.raises(ValueError, match="arch_type 'gpt2' is not this space's 'llama'"):
        llama.load_arch(path)


def test_mutation_and_crossover_keep_per_layer_genes_and_stay_in_the_space():
    space = tiny_space("llama", seed=7)
    parents = [space.random_sample() for _ in range(2)]
    children = [space.mutate(parents[0]) for _ in range(8)] + [space.crossover(parents) for _ in range(8)]
    for child in children:
        config = child.metadata["config"]
        assert len(config["d_inner"]) == space.max_layers and 1 <= config["n_layer"] <= space.max_layers
        assert config["d_model"] in space.d_model_options
        assert set(config["d_inner"]) <= set(space.d_inner_options)
    assert len({c.archid for c in children}) > 3


def test_archai_signature_defaults():
    space = TransformerFlexSearchSpace("gpt2")
    assert (space.vocab_size, space.max_sequence_length, space.min_layers, space.max_layers) == (50257, 1024, 1, 10)
    assert space.d_model_options == list(range(128, 1024, 64)) and space.n_head_options == [2, 4, 8]
    assert [m.archid for m in itertools.islice(iter(space.random_sample, None), 3)] == \
        [m.archid for m in itertools.islice(iter(TransformerFlexSearchSpace("gpt2").random_sample, None), 3)]


def test_the_space_reads_vocabulary_and_context_off_its_dataset_and_refuses_less():
    from .lm_helpers import SEQ_LEN, corpus

    data = corpus()
    space = TransformerFlexSearchSpace("llama", dataset=data)
    assert (space.vocab_size, space.max_sequence_length) == (256, SEQ_LEN)
    with pytest.raises(ValueError, match="vocab_size 100 is smaller"):
        TransformerFlexSearchSpace("gpt2", dataset=data, vocab_size=100)
    with pytest.raises(ValueError, match=f"seq_len {SEQ_LEN} is above max_sequence_length 16"):
        TransformerFlexSearchSpace("gpt2", dataset=data, max_sequence_length=16)
