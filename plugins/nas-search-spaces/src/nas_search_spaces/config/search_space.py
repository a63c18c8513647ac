"""``ConfigSearchSpace``: search over a declarative parameter tree with a user model factory, so a
user writes a function ``config -> nn.Module`` instead of a search-space class.

The archid is a hash of the values of the parameters the factory actually read (tracked through
``ArchConfig.pick``). Knowing what was read needs the factory to run, so with
``track_unused_params`` (the default, as in Archai) each new candidate's module is built when it
is sampled; with it off the archid covers every parameter and modules are built lazily.
The option indices travel in ``model.metadata["choices"]`` (and a per-space memo), so moves
and files work on cleared models.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from overrides import overrides

from nas_kernel.api import ArchaiModel
from nas_kernel.toolbox.params import check_number
from nas_kernel.toolbox.references import import_reference
from nas_search_spaces.base import SeededSpace, require_keys
from nas_search_spaces.config.tree import ArchParamTree
from nas_search_spaces.config.yaml_tree import tree_from_data

DEFAULT_MODEL = "nas_search_spaces.config.examples:conv_classifier"


def default_tree() -> Dict[str, Any]:
    """A small conv-net tree for 1x8x8 digits (used when no tree is given)."""
    return {
        "blocks": {"repeat": {"channels": [16, 32, 64], "kernel_size": [3, 5]}, "times": [1, 2, 3]},
        "activation": ["relu", "gelu"],
        "pool_size": [1, 2],
    }


def resolve_callable(ref: Union[str, Callable], what: str, base_dir: Optional[str] = None) -> Callable:
    """A callable, or an importable ``"package.module:attr"`` text (a module in ``base_dir``, the
    experiment file's folder, imports too: the kernel's one resolver)."""
    if callable(ref):
        return ref
    return import_reference(ref, base_dir, what, kind="callable")


def _taken_by(factory: Callable, sizes: Dict[str, Any]) -> Dict[str, Any]:
    """The ``sizes`` ``factory`` has a parameter for (all of them when it takes ``**kwargs``)."""
    import inspect

    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return dict(sizes)
    return {k: v for k, v in sizes.items() if k in params}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr)


class ConfigSearchSpace(SeededSpace):
    """A search space given as a parameter tree plus a model factory.

    Args:
        model_cls: ``factory(config, **model_kwargs) -> nn.Module``, a callable or an importable
            ``"package.module:callable"`` text (the form an experiment file uses).
        arch_param_tree: an ``ArchParamTree``, a mapping of ``DiscreteChoice`` / ``repeat_config``
            nodes, or plain data in the format of ``nas_search_spaces.config.yaml_tree``.
        seed: seeds the space's own generator.
        mutation_prob: None changes exactly one used parameter per mutation; a probability
            resamples every parameter with it (Archai's rule), still changing at least one used one.
        track_unused_params: archid and encoding ignore parameters the factory never read.
        unused_param_value: encoding of an unused parameter's slots.
        hash_archid: archid ``cfg-<sha1 prefix>``; if False the canonical JSON of the values.
        model_kwargs: extra keyword arguments for ``model_cls``.
        base_dir: the folder a ``model_cls`` module is also imported from; the kernel passes the
            experiment file's folder (as for the ``python`` dataset's ``function``).
        in_channels, img_size, num_features, num_classes: the data's sizes (the kernel fills them
            from the training data when the experiment leaves them out); each reaches
            ``model_cls`` as a keyword argument when the factory takes one of that name and
            ``model_kwargs`` does not set it.
    """

    space_name = "config"

    def __init__(self, model_cls: Union[str, Callable] = DEFAULT_MODEL, arch_param_tree: Any = None,
                 seed: int = 1, mutation_prob: Optional[float] = None, track_unused_params: bool = True,
                 unused_param_value: float = -1.0, hash_archid: bool = True,
                 model_kwargs: Optional[dict] = None, base_dir: Optional[str] = None,
                 in_channels: Optional[int] = None, img_size: Any = None, num_features: Optional[int] = None,
                 num_classes: Optional[int] = None) -> None:
        super().__init__(seed)
        self.base_dir = base_dir
        self.model_cls = resolve_callable(model_cls, "model_cls", base_dir)
        self.arch_param_tree = arch_param_tree  # as given (scikit-learn's convention: rebuildable)
        if arch_param_tree is None:
            arch_param_tree = default_tree()
        if isinstance(arch_param_tree, ArchParamTree):
            self.tree = arch_param_tree
        else:
            has_nodes = isinstance(arch_param_tree, dict) and _has_nodes(arch_param_tree)
            self.tree = ArchParamTree(arch_param_tree if has_nodes else tree_from_data(arch_param_tree))
        if not self.tree.params:
            raise ValueError("arch_param_tree has no choices: nothing to search")
        self.mutation_prob = None if mutation_prob is None else check_number("mutation_prob", mutation_prob, 0.0, 1.0)
        self.track_unused_params = bool(track_unused_params)
        self.unused_param_value = check_number("unused_param_value", unused_param_value)
        self.hash_archid = bool(hash_archid)
        if model_kwargs is not None and not isinstance(model_kwargs, dict):
            raise ValueError(f"model_kwargs must be a mapping, got {model_kwargs!r}")
        self.model_kwargs = dict(model_kwargs or {})
        self.in_channels, self.img_size, self.num_features, self.num_classes = (in_channels, img_size, num_features,
                                                                                num_classes)
        self._data_kwargs = _taken_by(self.model_cls, {
            k: v for k, v in (("in_channels", in_channels), ("img_size", img_size), ("num_features", num_features),
                              ("num_classes", num_classes)) if v is not None and k not in self.model_kwargs})
        self._known: Dict[str, List[int]] = {}  # archid -> option indices (for metadata-less models)

    # ---- choices <-> models ------------------------------------------------------------------
    def build(self, choices: Sequence[int]):
        """``(module, config)`` for these option indices."""
        config = self.tree.to_config(choices)
        return self.model_cls(config, **self.model_kwargs, **self._data_kwargs), config

    def _used(self, choices: Sequence[int]):
        if not self.track_unused_params:
            return list(range(len(self.tree.params))), None
        module, config = self.build(choices)
        return self.tree.used_params(config), module

    def archid_for(self, choices: Sequence[int], used: Sequence[int]) -> str:
        values = {self.tree.param_names[i]: self.tree.params[i][1][choices[i]] for i in used}
        text = _canonical(values)
        return "cfg-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:20] if self.hash_archid else text

    def make(self, choices: Sequence[int], metadata: Optional[dict] = None) -> ArchaiModel:
        """The model for these option indices."""
        choices = self.tree.check_choices(list(choices))
        used, module = self._used(choices)
        archid = self.archid_for(choices, used)
        self._known.setdefault(archid, list(choices))
        meta = {"choices": list(choices), "used_params": [self.tree.param_names[i] for i in used]}
        meta.update(metadata or {})
        if module is not None:
            return ArchaiModel(module, archid, meta)
        return ArchaiModel(archid=archid, metadata=meta, builder=lambda: self.build(choices)[0])

    def choices(self, model: ArchaiModel) -> List[int]:
        """Option indices of ``model`` (from its metadata, else from this space's memory)."""
        found = model.metadata.get("choices") if isinstance(model.metadata, dict) else None
        if found is None:
            found = self._known.get(model.archid)
        if found is None:
            raise ValueError(f"{model.archid!r}: no option indices in its metadata and not made by this space")
        return self.tree.check_choices(list(found))

    def used(self, model: ArchaiModel, choices: Sequence[int]) -> List[int]:
        names = model.metadata.get("used_params") if isinstance(model.metadata, dict) else None
        if names is not None and all(n in self.tree.param_names for n in names):
            return sorted(self.tree.param_names.index(n) for n in names)
        return self._used(choices)[0]

    def config(self, model: ArchaiModel) -> Dict[str, Any]:
        """The used parameters' values of ``model``, by name (readable)."""
        choices = self.choices(model)
        return {self.tree.param_names[i]: self.tree.params[i][1][choices[i]] for i in self.used(model, choices)}

    # ---- sampling and moves ------------------------------------------------------------------
    @overrides
    def random_sample(self):
        return self.make(self.tree.sample_choices(self.rng))

    @overrides
    def mutate(self, arch):
        parent = self.choices(arch)
        used = self.used(arch, parent)
        child = list(parent)
        if self.mutation_prob is not None:
            for i, (_, choice) in enumerate(self.tree.params):
                if self.rng.random() < self.mutation_prob:
                    child[i] = choice.sample_index(self.rng)
        movable = [i for i in used if len(self.tree.params[i][1]) > 1]
        if movable and all(child[i] == parent[i] for i in used):
            i = self.rng.choice(movable)
            child[i] = self.rng.choice([k for k in range(len(self.tree.params[i][1])) if k != parent[i]])
        return self.make(child, {"parent": arch.archid})

    @overrides
    def crossover(self, arch_list):
        parents = [self.choices(m) for m in arch_list]
        child = [self.rng.choice(parents)[i] for i in range(len(self.tree.params))]
        return self.make(child, {"parents": [m.archid for m in arch_list]})

    @overrides
    def encode(self, arch):
        choices = self.choices(arch)
        return np.array(self.tree.encode_choices(choices, self.used(arch, choices), self.unused_param_value),
                        dtype=np.float64)

    # ---- files -------------------------------------------------------------------------------
    @overrides
    def describe(self, model):
        choices = self.choices(model)
        return {"choices": dict(zip(self.tree.param_names, choices)),
                "values": json.loads(_canonical(self.config(model)))}

    @overrides
    def from_description(self, description):
        d = require_keys(description, {"choices", "values"}, "config architecture")
        named = d["choices"]
        if not isinstance(named, dict) or set(named) != set(self.tree.param_names):
            raise ValueError("config architecture: its parameters do not match this space's tree")
        model = self.make([named[name] for name in self.tree.param_names])
        if json.loads(_canonical(self.config(model))) != d["values"]:
            raise ValueError("config architecture: its values do not match this space's tree (tree changed?)")
        return model


def _has_nodes(tree: Any) -> bool:
    """True if a mapping already holds DiscreteChoice / repeat nodes (Python-built tree)."""
    from nas_search_spaces.config.choice import DiscreteChoice
    from nas_search_spaces.config.tree import RepeatedConfig

    if isinstance(tree, (DiscreteChoice, RepeatedConfig)):
        return True
    return isinstance(tree, dict) and any(_has_nodes(v) for v in tree.values())
