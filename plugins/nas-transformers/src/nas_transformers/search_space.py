"""``transformer_flex``: decoder-only language models with a searched depth, width, heads and MLP
width, heterogeneous per layer where asked, under Archai's class name and parameters
(``TransformerFlexSearchSpace``), so Lightweight-Transformer-Search scripts port by changing
imports.

Two decoders: ``gpt2`` (Archai's GPT-2 space, in plain PyTorch) and ``llama`` (RMSNorm, rotary,
SwiGLU, grouped-query attention with the number of key/value heads searched). Models are built
lazily (``ArchaiModel(builder=...)``): proposing, deduplicating and counting parameters never pays
for building one.
"""
from __future__ import annotations

import copy
import json
import random
from typing import Any, Dict, List, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, BayesOptSearchSpace, EvolutionarySearchSpace
from nas_kernel.toolbox.arch_files import read_json_object
from nas_kernel.toolbox.params import check_choice, check_int, check_number
from nas_transformers import arch_config
from nas_transformers.arch_config import ARCH_TYPES

DEFAULT_D_MODEL = list(range(128, 1024, 64))
DEFAULT_D_INNER = list(range(128, 1024, 64))
DEFAULT_N_HEAD = [2, 4, 8]
DEFAULT_N_KV_HEAD = [1, 2, 4, 8]
GPT2_VOCAB, GPT2_POSITIONS = 50257, 1024  # Archai's defaults when neither the user nor a dataset says
MAX_TRIES = 1000


def _options(name: str, values: Optional[List[int]], default: List[int]) -> List[int]:
    values = default if values is None else values
    if not isinstance(values, (list, tuple)) or not values:
        raise ValueError(f"{name} must be a non-empty list of positive integers, got {values!r}")
    return [check_int(f"{name}[{i}]", v, 1) for i, v in enumerate(values)]


class TransformerFlexSearchSpace(EvolutionarySearchSpace, BayesOptSearchSpace):
    """Decoder-only transformers (Archai's ``TransformerFlexSearchSpace``).

    Args:
        arch_type: ``gpt2`` or ``llama``.
        min_layers, max_layers: depth range.
        d_inner_options, d_model_options, n_head_options: MLP widths, model widths and query
            heads to choose from (Archai's defaults when None).
        n_kv_head_options: key/value heads of ``llama`` (each layer takes one that divides its
            ``n_head``).
        share_d_inner: one MLP width for every layer (else one per layer).
        share_n_head: one head count for every layer (else one per layer, and for ``llama``
            one key/value head count per layer).
        mutation_prob: probability that ``mutate`` redraws each gene.
        vocab_size, max_sequence_length: the token vocabulary and the longest context the model
            takes. None: the ``dataset``'s vocabulary and window length, or Archai's defaults
            (50257, 1024) without a dataset. A ``dataset`` needing more than given is refused.
        att_dropout_rate: attention dropout while training.
        disable_cache: accepted for Archai parity; models here use a key/value cache only when
            a caller asks for it (generation latency).
        random_seed: Archai's seed; ``seed`` (the experiment's seed in ``nas search``) wins when set.
        dataset: a ``text`` dataset the models are for (``vocab_size`` / ``seq_len`` read off it).

    ``archid`` is readable: ``gpt2_L2_d128_h4_i512``; per-layer values are joined by ``-``.
    Encoding: ``[n_layer, d_model]`` then ``max_layers`` values each of n_head, (n_kv_head,) and
    d_inner, zero past the last layer.
    """

    space_name = "transformer_flex"

    def __init__(self, arch_type: str = "gpt2", min_layers: int = 1, max_layers: int = 10,
                 d_inner_options: Optional[List[int]] = None, d_model_options: Optional[List[int]] = None,
                 n_head_options: Optional[List[int]] = None, share_d_inner: bool = True,
                 mutation_prob: float = 0.3, vocab_size: Optional[int] = None,
                 max_sequence_length: Optional[int] = None, att_dropout_rate: float = 0.0,
                 disable_cache: bool = True, random_seed: int = 1, n_kv_head_options: Optional[List[int]] = None,
                 share_n_head: bool = True, dataset: Any = None, seed: Optional[int] = None) -> None:
        self.arch_type = check_choice("arch_type", arch_type, ARCH_TYPES)
        self.min_layers = check_int("min_layers", min_layers, 1)
        self.max_layers = check_int("max_layers", max_layers, self.min_layers)
        self.d_model_options = _options("d_model_options", d_model_options, DEFAULT_D_MODEL)
        self.d_inner_options = _options("d_inner_options", d_inner_options, DEFAULT_D_INNER)
        self.n_head_options = _options("n_head_options", n_head_options, DEFAULT_N_HEAD)
        self.n_kv_head_options = _options("n_kv_head_options", n_kv_head_options, DEFAULT_N_KV_HEAD)
        self.share_d_inner, self.share_n_head = bool(share_d_inner), bool(share_n_head)
        self.mutation_prob = check_number("mutation_prob", mutation_prob, 0.0, 1.0)
        self.att_dropout_rate = check_number("att_dropout_rate", att_dropout_rate, 0.0, 1.0)
        self.disable_cache = bool(disable_cache)
        self.vocab_size, self.max_sequence_length = self._fit_data(vocab_size, max_sequence_length, dataset)
        self.seed = check_int("seed" if seed is not None else "random_seed",
                              random_seed if seed is None else seed, 0)
        self.rng = random.Random(self.seed)
        self._check_some_width_fits()

    # ---- what the data needs ---------------------------------------------------------------------
    @staticmethod
    def _fit_data(vocab_size, max_sequence_length, dataset):
        need_vocab = getattr(dataset, "vocab_size", None) if dataset is not None else None
        need_length = getattr(dataset, "seq_len", None) if dataset is not None else None
        if dataset is not None and (need_vocab is None or need_length is None):
            raise ValueError(f"dataset must be a text dataset (with vocab_size and seq_len), got "
                             f"{type(dataset).__name__}")
        vocab = need_vocab or GPT2_VOCAB if vocab_size is None else check_int("vocab_size", vocab_size, 2)
        length = need_length or GPT2_POSITIONS if max_sequence_length is None else \
            check_int("max_sequence_length", max_sequence_length, 1)
        if need_vocab is not None and vocab < need_vocab:
            raise ValueError(f"vocab_size {vocab} is smaller than the dataset's vocabulary ({need_vocab} tokens)")
        if need_length is not None and length < need_length:
            raise ValueError(f"the dataset's seq_len {need_length} is above max_sequence_length {length}")
        return vocab, length

    def _check_some_width_fits(self) -> None:
        for d in self.d_model_options:
            for h in self.n_head_options:
                config = {"n_layer": 1, "d_model": d, "n_head": h, "d_inner": 1,
                          "n_kv_head": [k for k in self.n_kv_head_options if h % k == 0][:1] or [0]}
                if not arch_config.problems(config, self.arch_type):
                    return
        extra = " and n_kv_head_options" if self.arch_type == "llama" else ""
        raise ValueError(f"n_head_options{extra}: no head count in {self.n_head_options} divides a width in "
                         f"d_model_options {self.d_model_options}" + (
                             " with an even head width and a dividing key/value head count"
                             if self.arch_type == "llama" else ""))

    def describe_inputs(self) -> str:
        """What the models read, for the kernel's data-fit messages."""
        return (f"{self.arch_type} decoders over {self.vocab_size} token ids with up to "
                f"{self.max_sequence_length} positions")

    # ---- building ------------------------------------------------------------------------------
    def fixed(self) -> Dict[str, Any]:
        return {"vocab_size": self.vocab_size, "max_sequence_length": self.max_sequence_length,
                "dropatt": self.att_dropout_rate}

    def make(self, config: Dict[str, Any]) -> ArchaiModel:
        """The model of ``config`` (checked); its torch module is built on first use."""
        found = arch_config.problems(config, self.arch_type)
        if found:
            raise ValueError("; ".join(found))
        frozen, arch_type = copy.deepcopy(config), self.arch_type
        return ArchaiModel(archid=arch_config.archid(config, arch_type),
                           metadata={"config": copy.deepcopy(config), "arch_type": arch_type},
                           builder=lambda: arch_config.build(frozen, arch_type))

    def _gene(self, key: str, shared: bool):
        values = {"d_inner": self.d_inner_options, "n_head": self.n_head_options,
                  "n_kv_head": self.n_kv_head_options}[key]
        return self.rng.choice(values) if shared else [self.rng.choice(values) for _ in range(self.max_layers)]

    def _keys(self) -> List[str]:
        return ["d_inner", "n_head"] + (["n_kv_head"] if self.arch_type == "llama" else [])

    def _shared(self, key: str) -> bool:
        return self.share_d_inner if key == "d_inner" else self.share_n_head

    def _until_valid(self, draw) -> ArchaiModel:
        for _ in range(MAX_TRIES):
            config = draw()
            if not arch_config.problems(config, self.arch_type):
                return self.make(config)
        raise ValueError(f"no valid architecture found in {MAX_TRIES} draws; check n_head_options and "
                         "n_kv_head_options against d_model_options")

    @overrides
    def random_sample(self) -> ArchaiModel:
        def draw():
            config = dict(self.fixed(), n_layer=self.rng.randint(self.min_layers, self.max_layers),
                          d_model=self.rng.choice(self.d_model_options))
            for key in self._keys():
                config[key] = self._gene(key, self._shared(key))
            return config

        return self._until_valid(draw)

    @overrides
    def mutate(self, arch: ArchaiModel) -> ArchaiModel:
        parent = arch.metadata["config"]

        def draw():
            config = copy.deepcopy(parent)
            if self.rng.random() < self.mutation_prob:
                config["n_layer"] = self.rng.randint(self.min_layers, self.max_layers)
            if self.rng.random() < self.mutation_prob:
                config["d_model"] = self.rng.choice(self.d_model_options)
            for key in self._keys():
                if isinstance(config[key], list):
                    fresh = self._gene(key, False)
                    config[key] = [f if self.rng.random() < self.mutation_prob else c
                                   for c, f in zip(config[key], fresh)]
                elif self.rng.random() < self.mutation_prob:
                    config[key] = self._gene(key, True)
            return config

        return self._until_valid(draw)

    @overrides
    def crossover(self, arch_list: List[ArchaiModel]) -> ArchaiModel:
        first, second = arch_list[0].metadata["config"], arch_list[1].metadata["config"]

        def draw():
            config = copy.deepcopy(first)
            for key in ["n_layer", "d_model"] + self._keys():
                a, b = first[key], second[key]
                if isinstance(a, list) and isinstance(b, list):
                    config[key] = [self.rng.choice(pair) for pair in zip(a, b)]
                else:
                    config[key] = copy.deepcopy(self.rng.choice([a, b]))
            return config

        return self._until_valid(draw)

    @overrides
    def encode(self, arch: ArchaiModel):
        import numpy as np

        config = arch.metadata["config"]
        n = config["n_layer"]
        gene = [float(n), float(config["d_model"])]
        for key in self._keys():
            values = arch_config.layer_values(config, key)
            gene += [float(v) for v in values] + [0.0] * (self.max_layers - n)
        return np.asarray(gene, dtype=np.float64)

    # ---- files ---------------------------------------------------------------------------------
    @overrides
    def save_arch(self, model: ArchaiModel, file_path: str) -> None:
        """Archai's architecture file: the config as JSON, with ``arch_type``."""
        document = dict(model.metadata["config"], arch_type=self.arch_type)
        with open(file_path, "w", encoding="utf-8") as f:
            json.dump(document, f, sort_keys=True, indent=2)

    @overrides
    def load_arch(self, file_path: str) -> ArchaiModel:
        document = read_json_object(file_path)
        arch_type = document.pop("arch_type", None)
        if arch_type != self.arch_type:
            raise ValueError(f"{file_path}: arch_type {arch_type!r} is not this space's {self.arch_type!r}")
        required = {"n_layer", "d_model", "vocab_size", "max_sequence_length", "dropatt", *self._keys()}
        if set(document) != required:
            raise ValueError(f"{file_path}: expected keys {sorted(required)}, got {sorted(document)}")
        for key, value in document.items():
            values = value if isinstance(value, list) else [value]
            kind = (int, float) if key == "dropatt" else int
            if not values or not all(isinstance(v, kind) and not isinstance(v, bool) for v in values):
                raise ValueError(f"{file_path}: {key} must be {'a number' if key == 'dropatt' else 'integers'}")
        return self.make(document)

    @overrides
    def save_model_weights(self, model: ArchaiModel, file_path: str) -> None:
        import torch

        torch.save(model.arch.state_dict(), file_path)

    @overrides
    def load_model_weights(self, model: ArchaiModel, file_path: str) -> None:
        import torch

        model.arch.load_state_dict(torch.load(file_path, map_location="cpu", weights_only=True))
