"""Conformance checks for a search space, as plain functions (no pytest needed) so the kernel's
kit (``nas_kernel.testing``) can take them over. Each takes ``make_space``: a zero-argument
callable returning a fresh space with a fixed seed; some also take an example input batch.
Each raises AssertionError with a message naming the space, the expectation and what happened.
"""
from __future__ import annotations

import copy
import os
import tempfile

import numpy as np

from nas_kernel.api import ArchaiModel, BayesOptSearchSpace, DiscreteSearchSpace, EvolutionarySearchSpace


def _name(space) -> str:
    return type(space).__name__


def _samples(space, count=4):
    return [space.random_sample() for _ in range(count)]


def check_random_sample_returns_archai_model(make_space):
    space = make_space()
    assert isinstance(space, DiscreteSearchSpace), f"{_name(space)} is not a DiscreteSearchSpace"
    model = space.random_sample()
    assert isinstance(model, ArchaiModel), f"{_name(space)}.random_sample() returned {type(model).__name__}"
    assert isinstance(model.archid, str) and model.archid, f"{_name(space)}: empty archid"


def check_same_seed_same_samples(make_space):
    first, second = make_space(), make_space()
    a = [m.archid for m in _samples(first, 6)]
    b = [m.archid for m in _samples(second, 6)]
    assert a == b, f"{_name(first)}: two spaces with the same seed sampled {a} and {b}"
    if isinstance(first, EvolutionarySearchSpace):
        parent = ArchaiModel(archid=a[0], metadata=copy.deepcopy(_samples(make_space(), 1)[0].metadata))
        ma = [first.mutate(parent).archid for _ in range(3)]
        mb = [second.mutate(parent).archid for _ in range(3)]
        assert ma == mb, f"{_name(first)}: same seed, mutations differ: {ma} vs {mb}"


def check_archid_is_stable(make_space):
    space = make_space()
    model = space.random_sample()
    before = model.archid
    _ = model.arch
    assert model.archid == before, f"{_name(space)}: archid changed from {before!r} to {model.archid!r} when built"


def check_save_load_arch_roundtrip(make_space):
    space = make_space()
    with tempfile.TemporaryDirectory() as tmp:
        for i, model in enumerate(_samples(space, 3)):
            path = os.path.join(tmp, f"arch{i}")
            space.save_arch(model, path)
            loaded = space.load_arch(path)
            assert loaded.archid == model.archid, (
                f"{_name(space)}.load_arch(save_arch(m)) changed archid {model.archid!r} -> {loaded.archid!r}")
            model.clear()  # saving must also work from the archid alone
            space.save_arch(model, path)
            assert space.load_arch(path).archid == loaded.archid, (
                f"{_name(space)}: save_arch of a cleared model differs")


def check_load_arch_refuses_unknown_content(make_space):
    space = make_space()
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
            try:
                space.load_arch(bad)
            except ValueError:
                continue
            raise AssertionError(f"{_name(space)}.load_arch accepted a bad file: {text[:60]!r}")


def check_save_load_weights_roundtrip(make_space):
    import torch

    space = make_space()
    model = space.random_sample()
    with torch.no_grad():
        for p in model.arch.parameters():
            p.add_(torch.randn_like(p))
    with tempfile.TemporaryDirectory() as tmp:
        arch_path, weights_path = os.path.join(tmp, "arch"), os.path.join(tmp, "weights.pt")
        space.save_arch(model, arch_path)
        space.save_model_weights(model, weights_path)
        other = space.load_arch(arch_path)
        space.load_model_weights(other, weights_path)
    for (name, a), b in zip(model.arch.state_dict().items(), other.arch.state_dict().values()):
        assert torch.equal(a, b), f"{_name(space)}: weight {name!r} differs after save/load"


def check_mutate_does_not_modify_parent(make_space):
    space = make_space()
    if not isinstance(space, EvolutionarySearchSpace):
        return
    for parent in _samples(space, 4):
        archid, metadata = parent.archid, copy.deepcopy(parent.metadata)
        child = space.mutate(parent)
        assert isinstance(child, ArchaiModel), f"{_name(space)}.mutate returned {type(child).__name__}"
        assert parent.archid == archid and parent.metadata == metadata, f"{_name(space)}.mutate changed its parent"
        assert child.archid != archid, f"{_name(space)}.mutate returned its parent {archid!r}"
        parent.clear()  # Archai issue #248: searchers clear evaluated models, then mutate them
        cleared_child = space.mutate(parent)
        assert isinstance(cleared_child, ArchaiModel) and cleared_child.archid != archid, (
            f"{_name(space)}.mutate of a cleared model failed to give a new architecture")


def check_crossover_returns_model(make_space):
    space = make_space()
    if not isinstance(space, EvolutionarySearchSpace):
        return
    parents = _samples(space, 2)
    ids = [p.archid for p in parents]
    for p in parents:
        p.clear()
    child = space.crossover(parents)
    assert isinstance(child, ArchaiModel), f"{_name(space)}.crossover returned {type(child).__name__}"
    assert [p.archid for p in parents] == ids, f"{_name(space)}.crossover changed its parents"
    _ = child.arch


def check_encode_fixed_length(make_space):
    space = make_space()
    if not isinstance(space, BayesOptSearchSpace):
        return
    models = _samples(space, 6)
    if isinstance(space, EvolutionarySearchSpace):
        models += [space.mutate(models[0]), space.crossover(models[:2])]
    lengths = set()
    for m in models:
        m.clear()
        vector = space.encode(m)
        assert isinstance(vector, np.ndarray) and vector.ndim == 1, f"{_name(space)}.encode must give a 1-D array"
        assert np.all(np.isfinite(vector)), f"{_name(space)}.encode gave non-finite values for {m.archid!r}"
        lengths.add(len(vector))
    assert len(lengths) == 1, f"{_name(space)}.encode lengths vary: {sorted(lengths)}"


def check_models_train_on_cpu(make_space, inputs, output_shape=None):
    """Samples, mutants and crossovers run forward and backward on a tiny batch."""
    import torch

    space = make_space()
    models = _samples(space, 3)
    if isinstance(space, EvolutionarySearchSpace):
        models += [space.mutate(models[0]), space.crossover(models[1:3])]
    for model in models:
        net = model.arch
        net.train()
        out = net(inputs)
        if output_shape is not None:
            assert tuple(out.shape) == tuple(output_shape), (
                f"{_name(space)}: {model.archid!r} gave output {tuple(out.shape)}, expected {tuple(output_shape)}")
        out.float().pow(2).mean().backward()
        grads = [p.grad for p in net.parameters() if p.requires_grad]
        assert grads and all(g is not None for g in grads[:1]), f"{_name(space)}: {model.archid!r} got no gradient"


ALL_CHECKS = [check_random_sample_returns_archai_model, check_same_seed_same_samples, check_archid_is_stable,
              check_save_load_arch_roundtrip, check_load_arch_refuses_unknown_content,
              check_save_load_weights_roundtrip, check_mutate_does_not_modify_parent, check_crossover_returns_model,
              check_encode_fixed_length]
