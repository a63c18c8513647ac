"""The declarative config space: usage tracking, ties, repeats, YAML trees, moves, encodings."""
import json

import numpy as np
import pytest
from torch import nn

from nas_search_spaces.config import ArchConfig, ArchParamTree, ConfigSearchSpace, DiscreteChoice, repeat_config
from nas_search_spaces.config.yaml_tree import tree_from_data


def two_flags(config):
    """p2 is only read when p1 is False (Archai's example: 3 distinct architectures, not 4)."""
    if config.pick("p1"):
        return nn.Linear(2, 2)
    return nn.Linear(2, 3 if config.pick("p2") else 4)


def test_unused_parameters_do_not_change_the_archid():
    space = ConfigSearchSpace(two_flags, {"p1": DiscreteChoice([True, False]), "p2": DiscreteChoice([True, False])})
    ids = {space.make(c).archid for c in ([0, 0], [0, 1], [1, 0], [1, 1])}
    assert len(ids) == 3
    assert space.make([0, 0]).archid == space.make([0, 1]).archid
    untracked = ConfigSearchSpace(two_flags, {"p1": DiscreteChoice([True, False]), "p2": DiscreteChoice([True, False])},
                                  track_unused_params=False)
    assert len({untracked.make(c).archid for c in ([0, 0], [0, 1], [1, 0], [1, 1])}) == 4
    assert not untracked.make([0, 0]).is_built  # without tracking, modules are lazy


def test_encode_marks_unused_parameters():
    space = ConfigSearchSpace(two_flags, {"p1": DiscreteChoice([True, False]), "p2": DiscreteChoice([True, False])},
                              unused_param_value=-7.0)
    assert space.encode(space.make([0, 1])).tolist() == [1.0, 0.0, -7.0, -7.0]  # booleans are one-hot
    assert space.encode(space.make([1, 1])).tolist() == [0.0, 1.0, 0.0, 1.0]


def test_encode_strategies():
    assert DiscreteChoice([16, 32]).encode(1) == [32.0]
    assert DiscreteChoice(["a", "b", "c"]).encode(2) == [0.0, 0.0, 1.0]
    assert DiscreteChoice(["a", "b"], encode_strategy="ordinal").encode(1) == [1.0]
    assert DiscreteChoice([1, 2], encode_strategy="one_hot").encode(0) == [1.0, 0.0]
    with pytest.raises(ValueError, match="encode_strategy"):
        DiscreteChoice([1], encode_strategy="binary")
    with pytest.raises(ValueError, match="probabilities"):
        DiscreteChoice([1, 2], probabilities=[1.0])


def test_shared_choice_objects_are_one_parameter():
    width = DiscreteChoice([8, 16, 32])
    tree = ArchParamTree({"encoder": {"width": width}, "decoder": {"width": width}, "depth": DiscreteChoice([1, 2])})
    assert tree.param_names == ["encoder.width", "depth"]
    config = tree.to_config([2, 0])
    assert config.pick("encoder").pick("width") == config.pick("decoder").pick("width") == 32


def test_repeat_config_counts_and_sharing():
    block = {"k": DiscreteChoice([3, 5])}
    tree = ArchParamTree({"blocks": repeat_config(block, [1, 2, 3])})
    assert tree.param_names == ["blocks", "blocks.0.k", "blocks.1.k", "blocks.2.k"]
    config = tree.to_config([1, 0, 1, 1])
    blocks = config.pick("blocks")
    assert len(blocks) == 2 and blocks.pick("k") == [3, 5]
    assert tree.used_params(config) == [0, 1, 2]  # the third block is not used
    shared = ArchParamTree({"blocks": repeat_config(block, 3, share_arch=True)})
    assert shared.param_names == ["blocks.0.k"]
    assert shared.to_config([1]).pick("blocks").pick("k") == [5, 5, 5]


def test_arch_config_pick_and_to_dict():
    config = ArchConfig({"a": 1, "sub": {"b": 2}})
    assert config.pick("sub").pick("b") == 2 and config.pick("missing", default=0) == 0
    assert config.used_param_paths() == ["sub.b"]
    assert config.get_used_params() == {"a": False, "sub": {"b": True}}
    assert config.to_dict() == {"a": 1, "sub": {"b": 2}}
    with pytest.raises(ValueError, match="missing"):
        config.pick("missing")


def test_yaml_tree_format():
    tree = tree_from_data({
        "act": ["relu", "gelu"],
        "enc": {"width": {"choices": [8, 16], "tie": "w"}},
        "dec": {"width": {"choices": [8, 16], "tie": "w"}, "fixed": 3},
        "blocks": {"repeat": {"k": [3, 5]}, "times": [1, 2]},
        "dict_choice": {"choices": [{"a": 1}, {"a": 2}]},
    })
    params = ArchParamTree(tree)
    assert params.param_names == ["act", "enc.width", "blocks", "blocks.0.k", "blocks.1.k", "dict_choice"]
    config = params.to_config([0, 1, 0, 0, 0, 1])
    assert config.pick("dec").pick("width") == 16 and config.pick("dec").pick("fixed") == 3
    assert config.pick("dict_choice") == {"a": 2}  # a mapping option comes back as a value
    with pytest.raises(ValueError, match="repeated block"):
        tree_from_data({"blocks": {"repeat": {"k": [3]}, "count": 2}})


def test_model_cls_as_import_text_and_kwargs():
    space = ConfigSearchSpace("nas_search_spaces.config.examples:conv_classifier",
                              {"blocks": {"repeat": {"channels": [4], "kernel_size": [3]}, "times": [1, 2]},
                               "activation": "relu", "pool_size": 1},
                              model_kwargs={"in_channels": 3, "num_classes": 5}, seed=0)
    import torch

    assert space.random_sample().arch(torch.zeros(1, 3, 8, 8)).shape == (1, 5)
    with pytest.raises(ValueError, match="model_cls"):
        ConfigSearchSpace("no_such_module:thing")
    with pytest.raises(ValueError, match="model_cls"):
        ConfigSearchSpace("not-a-reference")


def test_mutate_changes_exactly_one_used_choice_by_default():
    space = ConfigSearchSpace(seed=5)
    for _ in range(10):
        parent = space.random_sample()
        child = space.mutate(parent)
        before, after = space.config(parent), space.config(child)
        changed = [k for k in before if k in after and before[k] != after[k]]
        assert len(changed) == 1, (before, after)
        assert child.metadata["parent"] == parent.archid


def test_mutation_prob_and_crossover():
    space = ConfigSearchSpace(seed=1, mutation_prob=1.0)
    a, b = space.random_sample(), space.random_sample()
    assert space.mutate(a).archid != a.archid
    child = space.crossover([a, b])
    for choice, pa, pb in zip(child.metadata["choices"], a.metadata["choices"], b.metadata["choices"]):
        assert choice in (pa, pb)


def test_moves_and_files_work_without_metadata(tmp_path):
    space = ConfigSearchSpace(seed=2)
    model = space.random_sample()
    from nas_kernel.api import ArchaiModel

    bare = ArchaiModel(archid=model.archid)  # e.g. rebuilt from a store: archid only
    assert space.mutate(bare).archid != model.archid
    space.save_arch(bare, tmp_path / "a.json")
    assert space.load_arch(tmp_path / "a.json").archid == model.archid
    with pytest.raises(ValueError, match="metadata"):
        ConfigSearchSpace(seed=2).mutate(bare)  # another space instance has never seen it


def test_load_arch_refuses_a_file_for_another_tree(tmp_path):
    space = ConfigSearchSpace(seed=2)
    path = tmp_path / "a.json"
    space.save_arch(space.random_sample(), path)
    tree = {"blocks": {"repeat": {"channels": [4], "kernel_size": [3]}, "times": [1]}, "activation": ["relu"]}
    other = ConfigSearchSpace(arch_param_tree=tree)
    with pytest.raises(ValueError, match="do not match"):
        other.load_arch(path)
    document = json.loads(path.read_text())
    document["arch"]["values"]["activation"] = "tanh"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="do not match"):
        space.load_arch(path)


def test_archid_is_a_stable_hash():
    a = ConfigSearchSpace(seed=9).random_sample()
    b = ConfigSearchSpace(seed=9).random_sample()
    assert a.archid == b.archid and a.archid.startswith("cfg-")
    readable = ConfigSearchSpace(seed=9, hash_archid=False).random_sample()
    assert json.loads(readable.archid) == ConfigSearchSpace(seed=9).config(a)


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="mutation_prob"):
        ConfigSearchSpace(mutation_prob=2)
    with pytest.raises(ValueError, match="nothing to search"):
        ConfigSearchSpace(two_flags, {"p1": True})
    with pytest.raises(ValueError, match="model_kwargs"):
        ConfigSearchSpace(model_kwargs=[1])
    assert np.isfinite(ConfigSearchSpace().encode(ConfigSearchSpace().random_sample())).all()


def test_probabilities_weight_sampling():
    import random

    choice = DiscreteChoice(["never", "always"], probabilities=[0.0, 3.0])
    rng = random.Random(0)
    assert {choice.random_sample(rng) for _ in range(20)} == {"always"}
    tree = tree_from_data({"act": {"choices": ["a", "b"], "probabilities": [1, 0]}, "k": [3, 5]})
    space = ConfigSearchSpace(lambda config: nn.Linear(config.pick("k"), len(config.pick("act"))), tree, seed=0)
    assert {space.config(space.random_sample())["act"] for _ in range(10)} == {"a"}
