"""Checks for search spaces, picked by capability: every ``DiscreteSearchSpace`` gets the
sampling, persistence and signature checks, an ``EvolutionarySearchSpace`` the mutate/crossover
checks, a ``BayesOptSearchSpace`` the encoding check. The space under test is used as given
(its generator advances); seeded-determinism builds fresh copies (``rebuild_space``)."""
from __future__ import annotations

import copy
import os
import random
import tempfile
from typing import Any, Callable, List

import numpy as np

from nas_kernel.api import ArchaiModel, BayesOptSearchSpace, DiscreteSearchSpace, EvolutionarySearchSpace
from nas_kernel.testing._models import snapshot, snapshot_difference, weights_difference, weights_of
from nas_kernel.testing._naming import name_of, rebuild
from nas_kernel.testing._results import CheckFailed, fail
from nas_kernel.testing._signature import signature_problems

SAMPLES = 4


def _sample(space: Any, what: str = "random_sample()") -> ArchaiModel:
    model = space.random_sample()
    if not isinstance(model, ArchaiModel):
        fail(f"{name_of(space)}.{what} should return an ArchaiModel, got {type(model).__name__}")
    return model


def _cleared(model: ArchaiModel) -> ArchaiModel:
    model.clear()
    return model


def check_random_sample_returns_archai_model(space):
    for _ in range(SAMPLES):
        model = _sample(space)
        if not isinstance(model.archid, str) or not model.archid:
            fail(f"{name_of(space)}.random_sample() gave a model with archid {model.archid!r}; "
                 "expected a non-empty string")
        if model.arch is None:
            fail(f"{name_of(space)}.random_sample() gave model {model.archid!r} whose arch is None; "
                 "expected a built architecture (or a builder that makes one)")


def check_archid_is_stable(space):
    model = _sample(space)
    archid = model.archid
    _ = model.arch
    if model.archid != archid:
        fail(f"{name_of(space)}: building the arch of {archid!r} changed its archid to {model.archid!r}; "
             "the archid must identify the architecture, not the instance")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "arch")
        space.save_arch(model, path)
        first, second = space.load_arch(path), space.load_arch(path)
    if not (isinstance(first, ArchaiModel) and isinstance(second, ArchaiModel)):
        fail(f"{name_of(space)}.load_arch should return an ArchaiModel, got {type(first).__name__}")
    if first.archid != second.archid:
        fail(f"{name_of(space)}.load_arch read the same file twice and gave archids {first.archid!r} and "
             f"{second.archid!r}; the same architecture must always get the same archid")


#: the seed both copies' generators get when a space is rebuilt by copying
RESEED = 12345


def _generators(space: Any) -> List[str]:
    """Names of the attributes holding a random generator (``random.Random``, numpy's)."""
    kinds = (random.Random, np.random.RandomState, np.random.Generator)
    return [name for name, value in getattr(space, "__dict__", {}).items() if isinstance(value, kinds)]


def _reseed(space: Any, names: List[str]) -> None:
    for name in names:
        gen = getattr(space, name)
        if isinstance(gen, random.Random):
            gen.seed(RESEED)
        elif isinstance(gen, np.random.RandomState):
            gen.seed(RESEED)
        else:
            setattr(space, name, np.random.default_rng(RESEED))


def rebuild_space(space: Any) -> Any:
    """A fresh copy of ``space`` for the seeded-determinism check.

    From its constructor when every constructor parameter is kept as an attribute (or
    ``get_params()`` gives them). Otherwise, as Archai's own tutorial space keeps only
    ``self.rng``: a deep copy whose generator attributes are reseeded with one fixed seed, so two
    copies start from the same state. A space with neither gets one message saying what to add.
    """
    try:
        return rebuild(space)
    except CheckFailed as exc:
        names = _generators(space)
        if not names:
            fail(f"{exc} -- or keep the space's random generator as an attribute (e.g. self.rng = "
                 "random.Random(seed)), so the kit can copy the space and reseed it")
    try:
        clone = copy.deepcopy(space)
    except Exception as err:
        fail(f"{name_of(space)} cannot be rebuilt from its constructor and deep-copying it failed: "
             f"{type(err).__name__}: {err}")
    _reseed(clone, names)
    return clone


def check_same_seed_same_samples(space):
    a, b = rebuild_space(space), rebuild_space(space)
    ids_a = [_sample(a).archid for _ in range(SAMPLES)]
    ids_b = [_sample(b).archid for _ in range(SAMPLES)]
    if ids_a != ids_b:
        fail(f"two {name_of(space)} built with the same parameters (same seed) sampled {ids_a} and {ids_b}; "
             "random_sample must draw only from the space's own seeded generator")
    if isinstance(space, EvolutionarySearchSpace):
        parent = _sample(rebuild_space(space))
        children_a = [a.mutate(parent).archid for _ in range(SAMPLES)]
        children_b = [b.mutate(parent).archid for _ in range(SAMPLES)]
        if children_a != children_b:
            fail(f"two {name_of(space)} built with the same parameters (same seed) mutated {parent.archid!r} into "
                 f"{children_a} and {children_b}; mutate must draw only from the space's own seeded generator")


def check_save_load_arch_roundtrip(space):
    for cleared in (False, True):
        model = _sample(space)
        archid = model.archid
        if cleared:
            model.clear()
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "arch")
            try:
                space.save_arch(model, path)
            except Exception as exc:
                if cleared:
                    fail(f"{name_of(space)}.save_arch failed on model {archid!r} after clear() (arch is None): "
                         f"{type(exc).__name__}: {exc}; it must work from the archid alone")
                raise
            loaded = space.load_arch(path)
        if not isinstance(loaded, ArchaiModel):
            fail(f"{name_of(space)}.load_arch should return an ArchaiModel, got {type(loaded).__name__}")
        if loaded.archid != archid:
            state = " (saved after clear())" if cleared else ""
            fail(f"{name_of(space)}.load_arch(save_arch(m)) changed archid {archid!r} -> {loaded.archid!r}{state}")


def _shift_weights(arch: Any) -> None:
    """Move torch parameters away from any fresh initialisation, so a load that does nothing
    cannot pass by luck (a builder that seeds its init makes equal weights without loading)."""
    parameters = getattr(arch, "parameters", None)
    if callable(parameters):
        for p in parameters():
            p.data.add_(0.25)


def check_save_load_weights_roundtrip(space):
    model = _sample(space)
    with tempfile.TemporaryDirectory() as tmp:
        arch_path, weights_path = os.path.join(tmp, "arch"), os.path.join(tmp, "weights.pt")
        space.save_arch(model, arch_path)
        _shift_weights(model.arch)
        space.save_model_weights(model, weights_path)
        expected = weights_of(model.arch)
        other = space.load_arch(arch_path)
        space.load_model_weights(other, weights_path)
        diff = weights_difference(expected, weights_of(other.arch))
    if diff:
        fail(f"{name_of(space)}: weights of {model.archid!r} saved with save_model_weights and loaded with "
             f"load_model_weights into load_arch's model do not match: {diff}")


def _check_move_keeps_parents(space, move: str, make_child: Callable[[List[ArchaiModel]], Any], arity: int):
    for cleared in (False, True):
        parents = [_sample(space) for _ in range(arity)]
        for p in parents:
            if cleared:
                p.clear()
            else:
                _ = p.arch
        before = [snapshot(p) for p in parents]
        state = "cleared (arch None) " if cleared else ""
        try:
            child = make_child(parents)
        except Exception as exc:
            if cleared:
                fail(f"{name_of(space)}.{move} failed on {state}parent(s) {[p.archid for p in parents]}: "
                     f"{type(exc).__name__}: {exc}; searchers clear evaluated models, so it must work from "
                     "the archid alone")
            raise
        if not isinstance(child, ArchaiModel):
            fail(f"{name_of(space)}.{move} should return an ArchaiModel, got {type(child).__name__}")
        if not isinstance(child.archid, str) or not child.archid:
            fail(f"{name_of(space)}.{move} gave a child with archid {child.archid!r}; expected a non-empty string")
        if any(child is p for p in parents):
            fail(f"{name_of(space)}.{move} returned its {state}parent object itself; expected a new ArchaiModel")
        for parent, snap in zip(parents, before):
            diff = snapshot_difference(snap, parent)
            if diff:
                fail(f"{name_of(space)}.{move} modified its {state}parent {snap['archid']!r}: {diff}; "
                     "it must leave its parents unchanged")


def check_mutate_does_not_modify_parent(space):
    _check_move_keeps_parents(space, "mutate", lambda ps: space.mutate(ps[0]), 1)


def check_crossover_returns_model(space):
    _check_move_keeps_parents(space, "crossover", lambda ps: space.crossover(ps), 2)


def check_encode_fixed_length(space):
    models = [_sample(space) for _ in range(SAMPLES)]
    if isinstance(space, EvolutionarySearchSpace):  # a searcher encodes children too
        models += [space.mutate(models[0]), space.crossover(models[1:3])]
    models[-1].clear()
    lengths = {}
    for model in models:
        code = space.encode(model)
        if not isinstance(code, np.ndarray) or code.ndim != 1:
            fail(f"{name_of(space)}.encode({model.archid!r}) should return a 1-D numpy array, got "
                 f"{type(code).__name__} with shape {getattr(code, 'shape', None)}")
        if not np.issubdtype(code.dtype, np.number) or not np.all(np.isfinite(code)):
            fail(f"{name_of(space)}.encode({model.archid!r}) should hold finite numbers, got {code!r:.120}")
        lengths[model.archid] = len(code)
    if len(set(lengths.values())) > 1:
        fail(f"{name_of(space)}.encode gave vectors of different lengths {lengths}; predictors need one fixed "
             "length for every architecture, children of mutate and crossover included (the last model was "
             "cleared: encode must work without its arch)")


def check_factory_signature(space):
    problems = signature_problems(type(space), "search_spaces", name_of(space))
    if problems:
        fail("; ".join(problems))


def search_space_checks(space) -> List[Callable[[Any], None]]:
    """The checks that apply to ``space``, by the ABCs it implements."""
    if not isinstance(space, DiscreteSearchSpace):
        return []
    checks = [check_factory_signature, check_random_sample_returns_archai_model, check_archid_is_stable,
              check_same_seed_same_samples, check_save_load_arch_roundtrip, check_save_load_weights_roundtrip]
    if isinstance(space, EvolutionarySearchSpace):
        checks += [check_mutate_does_not_modify_parent, check_crossover_returns_model]
    if isinstance(space, BayesOptSearchSpace):
        checks.append(check_encode_fixed_length)
    return checks
