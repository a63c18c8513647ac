"""Every space passes the kernel's conformance kit, and what the kit does not check for every
space: its models train on a tiny CPU batch, its archive files refuse content it did not write,
a mutant differs from its parent, different seeds sample differently, built modules pickle."""
import copy
import os
import tempfile

import pytest
import torch

from nas_kernel.api import ArchaiModel, EvolutionarySearchSpace
from nas_kernel.testing import parametrize_with_checks
from nas_search_spaces.cnn import CNNSearchSpace
from nas_search_spaces.config import ConfigSearchSpace
from nas_search_spaces.hivenas_chain import HiveNasChainSearchSpace
from nas_search_spaces.mlp import MLPSearchSpace
from nas_search_spaces.nb201.search_space import NatsbenchTssSearchSpace
from nas_search_spaces.segmentation_dag import SegmentationDagSearchSpace

SMALL_CHAIN_OPS = ["conv3x3_8", "sep3x3_16", "res3x3_8", "max_pool3x3", "avg_pool3x3", "dropout10", "identity"]

# name -> (factory(seed) of a fresh space, input batch, expected output shape or None)
SPACES = {
    "cnn": (lambda seed=3: CNNSearchSpace(hidden_list=[8, 16], seed=seed), (2, 1, 8, 8), (2, 10)),
    "config": (lambda seed=3: ConfigSearchSpace(seed=seed), (2, 1, 8, 8), (2, 10)),
    "natsbench_tss": (lambda seed=3: NatsbenchTssSearchSpace(C=4, N=1, seed=seed), (2, 3, 8, 8), (2, 10)),
    "natsbench_tss_dedup": (lambda seed=3: NatsbenchTssSearchSpace(C=4, N=1, base_dataset="cifar100",
                                                                   deduplicate_isomorphic=True, seed=seed),
                            (2, 3, 8, 8), (2, 100)),
    "segmentation_dag": (lambda seed=3: SegmentationDagSearchSpace(nb_classes=3, img_size=[12, 16], base_channels=4,
                                                                   max_layers=4, seed=seed),
                         (2, 3, 12, 16), (2, 3, 12, 16)),
    "hivenas_chain": (lambda seed=3: HiveNasChainSearchSpace(depth=4, ops=SMALL_CHAIN_OPS, skip_rate=0.5,
                                                             stem_channels=8, seed=seed), (2, 1, 8, 8), (2, 10)),
    "hivenas_chain_default": (lambda seed=3: HiveNasChainSearchSpace(seed=seed), (2, 1, 8, 8), (2, 10)),
    "mlp": (lambda seed=3: MLPSearchSpace(width_list=[8, 16], norms=["none", "batch", "layer"], num_features=30,
                                          num_classes=3, seed=seed), (2, 30), (2, 3)),
}


def batch(shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0))


@parametrize_with_checks([make() for make, _, _ in (SPACES[name] for name in sorted(SPACES))])
def test_conformance(component, check):
    check(component)


def _n(space, n):
    return [space.random_sample() for _ in range(n)]


@pytest.mark.parametrize("space_name", sorted(SPACES))
def test_models_run_forward_and_backward(space_name):
    """Samples, mutants and crossovers run forward and backward on a tiny batch."""
    make, shape, output_shape = SPACES[space_name]
    space, inputs = make(), batch(shape)
    models = _n(space, 3)
    if isinstance(space, EvolutionarySearchSpace):
        models += [space.mutate(models[0]), space.crossover(models[1:3])]
    for model in models:
        net = model.arch
        net.train()
        out = net(inputs)
        assert tuple(out.shape) == tuple(output_shape), (
            f"{space_name}: {model.archid!r} gave output {tuple(out.shape)}, expected {tuple(output_shape)}")
        out.float().pow(2).mean().backward()
        grads = [p.grad for p in net.parameters() if p.requires_grad]
        assert grads and all(g is not None for g in grads[:1]), f"{space_name}: {model.archid!r} got no gradient"


@pytest.mark.parametrize("space_name", sorted(SPACES))
def test_load_arch_refuses_unknown_content(space_name):
    """The spaces' archive files (nas_kernel.toolbox.arch_files) are read strictly: anything this
    space did not write is a ValueError, never code run or a half-read architecture."""
    space = SPACES[space_name][0]()
    bad_documents = ["not json at all", "[1, 2, 3]",
                     '{"space": "someone-else", "format": 1, "archid": "x", "arch": {}}',
                     "!!python/object/apply:os.system ['true']"]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "good")
        space.save_arch(space.random_sample(), path)
        with open(path, encoding="utf-8") as f:
            good = f.read()
        bad_documents.append(good.replace('"arch": {', '"arch": {"unexpected": 1, ', 1))
        for i, text in enumerate(bad_documents):
            bad = os.path.join(tmp, f"bad{i}")
            with open(bad, "w", encoding="utf-8") as f:
                f.write(text)
            with pytest.raises(ValueError):
                space.load_arch(bad)


@pytest.mark.parametrize("space_name", sorted(SPACES))
def test_a_mutant_differs_from_its_parent_also_when_the_parent_was_cleared(space_name):
    space = SPACES[space_name][0]()
    if not isinstance(space, EvolutionarySearchSpace):
        return
    for parent in _n(space, 4):
        archid = parent.archid
        assert space.mutate(parent).archid != archid, f"{space_name}.mutate returned its parent {archid!r}"
        parent.clear()  # Archai issue #248: searchers clear evaluated models, then mutate them
        assert space.mutate(parent).archid != archid, f"{space_name}.mutate of a cleared {archid!r} returned it"


@pytest.mark.parametrize("space_name", sorted(SPACES))
def test_same_seed_mutates_a_metadata_only_parent_alike(space_name):
    """A parent rebuilt from its archid and metadata (arch None, as a resumed search has it)
    mutates the same way in two spaces of one seed."""
    make = SPACES[space_name][0]
    first, second = make(), make()
    if not isinstance(first, EvolutionarySearchSpace):
        return
    sample = make().random_sample()
    parent = ArchaiModel(archid=sample.archid, metadata=copy.deepcopy(sample.metadata))
    assert [first.mutate(parent).archid for _ in range(3)] == [second.mutate(parent).archid for _ in range(3)]


@pytest.mark.parametrize("space_name", sorted(SPACES))
def test_different_seeds_differ(space_name):
    make = SPACES[space_name][0]
    a = [m.archid for m in _n(make(seed=1), 6)]
    b = [m.archid for m in _n(make(seed=2), 6)]
    assert a != b


@pytest.mark.parametrize("space_name", sorted(SPACES))
def test_built_modules_pickle_for_spawn_workers(space_name):
    import pickle

    import torch

    make, shape, _ = SPACES[space_name]
    model = make().random_sample()
    clone = pickle.loads(pickle.dumps(model.arch))
    x = batch(shape)
    model.arch.eval()
    clone.eval()
    with torch.no_grad():
        assert torch.allclose(model.arch(x), clone(x))
