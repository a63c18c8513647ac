"""The NATS-Bench topology space (NAS-Bench-201 cells) over the shipped table: candidates are
table rows, so their benchmark results can be looked up, and networks are real torch modules
built only when a candidate's ``arch`` is touched."""
from __future__ import annotations

from typing import List, Optional

import numpy as np
from overrides import overrides

from nas_kernel.api import ArchaiModel
from nas_kernel.toolbox.params import check_int
from nas_search_spaces.base import SeededSpace, require_keys
from nas_search_spaces.nb201 import encodings
from nas_search_spaces.nb201.archids import archid_of, index_of
from nas_search_spaces.nb201.cells import EDGES, OP_NAMES, format_cell, one_edit_neighbours, parse_cell
from nas_search_spaces.nb201.table import load_nb201_table

DATASETS = {"cifar10": "cifar10", "cifar100": "cifar100", "imagenet16": "imagenet16",
            "ImageNet16-120": "imagenet16", "imagenet16-120": "imagenet16", "cifar10-valid": "cifar10"}
MAX_TRIES = 100


def canonical_dataset(name: str) -> str:
    if name not in DATASETS:
        raise ValueError(f"base_dataset must be one of {sorted(DATASETS)}, got {name!r}")
    return DATASETS[name]


class NatsbenchTssSearchSpace(SeededSpace):
    """NAS-Bench-201 cells (6 edges, ops ``none, skip_connect, nor_conv_1x1, nor_conv_3x3,
    avg_pool_3x3``; 15,625 architectures).

    Args:
        natsbench_location: another copy of the table (``.csv`` or ``.csv.gz``); default the
            packaged one.
        base_dataset: sets the classifier size (cifar10, cifar100, imagenet16 / ImageNet16-120).
        seed: seeds the space's own generator.
        C, N: channels of the first stage and cells per stage of the built networks.
        deduplicate_isomorphic: sample, mutate and cross over within one representative per
            isomorphism group (6,466 architectures computing distinct functions).
        canonical_moves: mutations, crossovers and ``neighbours`` give the representative
            (smallest index) of the function the new cell computes, and a mutation never gives
            the parent's own function; random samples still cover all 15,625 cells. A search
            then never pays twice for one function reached through two isomorphic cells, and
            walks over functions meet 7 local optima instead of 16 (one-edge moves, 12-epoch
            CIFAR-10 validation accuracy). False: moves land on the literal cell.

    archid: ``nb201-<index>`` (index into the table; ``arch_str`` from ``cell_string``).
    Encodings (``encode_as``): ``default``/``one_hot`` (one-hot op per edge, 30 numbers, what
    ``encode`` gives), ``adjacency``, ``path``, each optionally with ``+synflow``, ``+params``,
    ``+flops`` table features.
    """

    space_name = "natsbench_tss"
    #: the op names in Archai's order (``mutate`` with literal moves enumerates neighbours in it)
    OPS = ["none", "avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3", "skip_connect"]

    def __init__(self, natsbench_location: Optional[str] = None, base_dataset: str = "cifar10", seed: int = 1,
                 C: int = 16, N: int = 5, deduplicate_isomorphic: bool = False,
                 canonical_moves: bool = True) -> None:
        super().__init__(seed)
        self.natsbench_location = natsbench_location
        self.base_dataset = canonical_dataset(base_dataset)
        self.C = check_int("C", C, 1)
        self.N = check_int("N", N, 1)
        self.deduplicate_isomorphic = bool(deduplicate_isomorphic)
        self.canonical_moves = bool(canonical_moves)
        self.table = load_nb201_table(natsbench_location)

    # ---- index <-> model ---------------------------------------------------------------------
    def make(self, index: int, metadata: Optional[dict] = None) -> ArchaiModel:
        index = int(index)
        if self.deduplicate_isomorphic:
            index = int(self.table.iso_group[index])
        arch_str = self.table.arch_str[index]
        C, N, dataset = self.C, self.N, self.base_dataset

        def build():
            from nas_search_spaces.nb201.network import NUM_CLASSES, Nb201Network

            return Nb201Network(arch_str, C=C, N=N, num_classes=NUM_CLASSES[dataset])

        return ArchaiModel(archid=archid_of(index), metadata=metadata, builder=build)

    def model_from_natsbench_tss(self, natsbench_id: int):
        """The torch network of table index ``natsbench_id`` for this space's dataset, C and N
        (Archai's method; ``nas_search_spaces.model_from_natsbench_tss`` is the module function)."""
        from nas_search_spaces.nb201.network import NUM_CLASSES, Nb201Network

        index = check_int("natsbench_id", natsbench_id, 0, len(self.table) - 1)
        return Nb201Network(self.table.arch_str[index], C=self.C, N=self.N, num_classes=NUM_CLASSES[self.base_dataset])

    def index(self, model: ArchaiModel) -> int:
        return index_of(model.archid, self.table)

    def cell_string(self, model: ArchaiModel) -> str:
        return self.table.arch_str[self.index(model)]

    def ops(self, model: ArchaiModel) -> List[str]:
        return parse_cell(self.cell_string(model))

    @property
    def _moves_to_functions(self) -> bool:
        return self.deduplicate_isomorphic or self.canonical_moves

    def _from_ops(self, ops: List[str]) -> int:
        """The index a move to ``ops`` lands on: the function's representative, or the literal cell."""
        index = self.table.index_of[format_cell(ops)]
        return int(self.table.iso_group[index]) if self._moves_to_functions else index

    def _same(self, a: int, b: int) -> bool:
        """Whether a move from ``a`` to ``b`` is no move at all (the same cell or, with canonical
        moves, the same function)."""
        if self._moves_to_functions:
            return int(self.table.iso_group[a]) == int(self.table.iso_group[b])
        return a == b

    # ---- sampling and moves ------------------------------------------------------------------
    @overrides
    def random_sample(self):
        if self.deduplicate_isomorphic:
            return self.make(self.rng.choice(self.table.representatives))
        return self.make(self.rng.randrange(len(self.table)))

    @overrides
    def mutate(self, arch):
        """A one-edit neighbour. Literal moves (``canonical_moves`` and ``deduplicate_isomorphic``
        false): Archai's rule exactly, one draw from the 24 cells that differ from the parent in
        one edge's op (listed edge by edge, ops in ``OPS`` order). Moves on functions: one edge
        gets another op and the child is that cell's function representative, retried while it
        is the parent's own function (see ``_same``)."""
        parent_ops = self.ops(arch)
        parent = self.index(arch)
        if not self._moves_to_functions:
            ops = self.rng.choice(one_edit_neighbours(parent_ops, self.OPS))
            return self.make(self.table.index_of[format_cell(ops)], {"parent": arch.archid})
        for _ in range(MAX_TRIES):
            ops = list(parent_ops)
            edge = self.rng.randrange(len(EDGES))
            ops[edge] = self.rng.choice([op for op in OP_NAMES if op != ops[edge]])
            child = self._from_ops(ops)
            if not self._same(child, parent):
                break
        return self.make(child, {"parent": arch.archid})

    def neighbours(self, arch) -> List[ArchaiModel]:
        """Every distinct one-edge move of ``arch`` (in edge, then op order): what local search
        walks over, enumerated instead of drawn."""
        parent_ops = self.ops(arch)
        parent = self.index(arch)
        moves = (self._from_ops(ops) for ops in one_edit_neighbours(parent_ops))
        distinct = dict.fromkeys(child for child in moves if not self._same(child, parent))
        return [self.make(child, {"parent": arch.archid}) for child in distinct]

    @overrides
    def crossover(self, arch_list):
        """Each edge's op from a parent drawn at random."""
        parents = [self.ops(m) for m in arch_list]
        ops = [self.rng.choice(parents)[e] for e in range(len(EDGES))]
        return self.make(self._from_ops(ops), {"parents": [m.archid for m in arch_list]})

    @overrides
    def encode(self, arch):
        return encodings.one_hot(self.ops(arch))

    def table_features(self) -> List[str]:
        """Table features an encoding may append (``synflow`` once the table has the column)."""
        return [f for f in encodings.FEATURES
                if encodings.feature_column(f, self.base_dataset) in self.table.columns]

    @overrides
    def encodings(self) -> List[str]:
        """``default`` (= ``one_hot``), ``adjacency``, ``path``; each may append ``+cell_stats``
        (computed from the cell) and ``+synflow``, ``+params``, ``+flops`` (read from the table;
        see ``nas_search_spaces.nb201.encodings``)."""
        return (["default"] + list(encodings.BASES) + ["adjacency+cell_stats"]
                + [f"path+{f}" for f in self.table_features()])

    @overrides
    def encode_as(self, arch, encoding: str = "default"):
        base, features = encodings.parse(encoding, list(encodings.COMPUTED) + self.table_features())
        ops = self.ops(arch)
        parts = [encodings.BASES[base](ops)]
        index = self.index(arch)
        for feature in features:
            if feature in encodings.COMPUTED:
                parts.append(encodings.COMPUTED[feature](ops))
            else:
                raw = self.table.value(index, encodings.feature_column(feature, self.base_dataset))
                parts.append(np.array([encodings.feature_value(feature, raw)], dtype=np.float64))
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    # ---- files -------------------------------------------------------------------------------
    @overrides
    def describe(self, model):
        index = self.index(model)
        return {"index": index, "arch_str": self.table.arch_str[index]}

    @overrides
    def from_description(self, description):
        d = require_keys(description, {"index", "arch_str"}, "natsbench_tss architecture")
        index = check_int("index", d["index"], 0, len(self.table) - 1)
        if self.table.arch_str[index] != d["arch_str"]:
            raise ValueError(f"natsbench_tss architecture: index {index} is {self.table.arch_str[index]!r} "
                             f"in this table, not {d['arch_str']!r}")
        return self.make(index)
