"""``darts_cells``: the discrete DARTS cell space as a kernel search space, so the same cells can
be searched one-shot (``darts``/``gdas`` searchers) or by any discrete searcher (random,
evolution, local search, BANANAS).

An architecture is a ``ModelDesc`` laid out by this space's ``ModelDescBuilder``; its archid is
a hash of the description, and ``save_arch`` writes the description as YAML. Descriptions are
remembered by archid, so ``save_arch``, ``mutate``, ``crossover`` and ``encode`` work after
``model.clear()``.
"""
from __future__ import annotations

import copy
import random
from typing import Dict, List, Optional

import numpy as np
from overrides import overrides

from nas_kernel import ArchaiModel, BayesOptSearchSpace, EvolutionarySearchSpace
from nas_kernel.toolbox.params import check_int
from nas_supergraph import cell_encodings
from nas_supergraph.model_desc import ModelDesc
from nas_supergraph.model_desc_builder import Genotype, ModelDescBuilder
from nas_supergraph.conf import PRIMITIVES


class DartsCellSpace(EvolutionarySearchSpace, BayesOptSearchSpace):
    """Cells of ``n_nodes`` nodes, each reading ``edges_per_node`` earlier states through ops
    from ``ops`` (``none`` is never chosen), in a network of ``n_cells`` cells.

    Args:
        in_channels, num_classes: the data (digits: 1 and 10; CIFAR-10: 3 and 10).
        init_channels, n_cells, n_nodes, stem_multiplier: macro parameters (see ``ModelDescBuilder``).
        ops: candidate op names (registry names; default the 8 DARTS primitives).
        edges_per_node: inputs per node in a discrete cell.
        seed: seeds ``random_sample``, ``mutate`` and ``crossover``.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, init_channels: int = 8, n_cells: int = 2,
                 n_nodes: int = 4, stem_multiplier: int = 3, ops: Optional[List[str]] = None,
                 edges_per_node: int = 2, seed: int = 1) -> None:
        self.builder = ModelDescBuilder(in_channels=in_channels, num_classes=num_classes,
                                        init_channels=init_channels, n_cells=n_cells, n_nodes=n_nodes,
                                        stem_multiplier=stem_multiplier)
        self.ops = list(ops) if ops is not None else list(PRIMITIVES)
        if not all(isinstance(o, str) and o for o in self.ops) or len(set(self.ops)) != len(self.ops):
            raise ValueError(f"ops must be distinct op names, got {ops!r}")
        self.choices = [o for o in self.ops if o != "none"]
        if not self.choices:
            raise ValueError("ops must contain at least one op other than 'none'")
        self.edges_per_node = check_int("edges_per_node", edges_per_node, minimum=1)
        self.seed = seed
        self.rng = random.Random(seed)
        self._descs: Dict[str, ModelDesc] = {}
        self._params = {"in_channels": in_channels, "num_classes": num_classes, "init_channels": init_channels,
                        "n_cells": n_cells, "n_nodes": n_nodes, "stem_multiplier": stem_multiplier, "ops": ops,
                        "edges_per_node": edges_per_node, "seed": seed}

    def get_params(self) -> Dict[str, object]:
        """The constructor arguments, so a second identical space can be built (conformance kit)."""
        return dict(self._params)

    # ---- models and descriptions -------------------------------------------------------------
    def model_from_desc(self, desc: ModelDesc) -> ArchaiModel:
        """An ``ArchaiModel`` whose module (a ``LogitsModel`` over a ``Model``) is built only when first used."""
        archid = desc.archid()
        self._descs.setdefault(archid, desc)

        def build():
            from nas_supergraph.model import LogitsModel, Model

            return LogitsModel(Model(desc))  # evaluators call model(x) -> logits

        return ArchaiModel(None, archid, {"genotype": desc.genotype()}, builder=build)

    def model_from_genotype(self, genotype: Genotype) -> ArchaiModel:
        return self.model_from_desc(self.builder.build_discrete(genotype))

    def desc_of(self, model: ArchaiModel) -> ModelDesc:
        desc = self._descs.get(model.archid)
        if desc is None and getattr(model, "is_built", False) and model.arch is not None:
            desc = getattr(model.arch, "desc", None)
        if desc is None:
            raise ValueError(f"architecture {model.archid!r} was not made by this search space; "
                             "load it with load_arch first")
        return desc

    # ---- DiscreteSearchSpace -----------------------------------------------------------------
    @overrides
    def random_sample(self):
        return self.model_from_genotype(self.builder.random_genotype(self.rng, self.ops, self.edges_per_node))

    @overrides
    def save_arch(self, model, file_path):
        self.desc_of(model).save(file_path)

    @overrides
    def load_arch(self, file_path):
        return self.model_from_desc(ModelDesc.load(file_path))

    @overrides
    def save_model_weights(self, model, file_path):
        import torch

        torch.save(model.arch.state_dict(), file_path)

    @overrides
    def load_model_weights(self, model, file_path):
        import torch

        model.arch.load_state_dict(torch.load(file_path, map_location="cpu", weights_only=True))

    # ---- EvolutionarySearchSpace -------------------------------------------------------------
    @overrides
    def mutate(self, arch):
        """Change one edge: its op (to another op) or its input (to an unused earlier state)."""
        genotype = copy.deepcopy(self.desc_of(arch).genotype())
        cell_type = self.rng.choice(sorted(genotype))
        node_i = self.rng.randrange(len(genotype[cell_type]))
        node = genotype[cell_type][node_i]
        edge = self.rng.choice(node)
        free_inputs = [j for j in range(2 + node_i) if j not in {e[1] for e in node}]
        other_ops = [o for o in self.choices if o != edge[0]]
        if free_inputs and (not other_ops or self.rng.random() < 0.5):
            edge[1] = self.rng.choice(free_inputs)
            node.sort(key=lambda e: e[1])
        elif other_ops:
            edge[0] = self.rng.choice(other_ops)
        return self.model_from_genotype(genotype)

    @overrides
    def crossover(self, arch_list):
        """Each node of each cell type comes from a randomly chosen parent."""
        parents = [self.desc_of(m).genotype() for m in arch_list]
        if not parents:
            raise ValueError("crossover needs at least one parent")
        child: Genotype = {}
        for cell_type in sorted(parents[0]):
            child[cell_type] = [copy.deepcopy(self.rng.choice(parents)[cell_type][i])
                                for i in range(len(parents[0][cell_type]))]
        return self.model_from_genotype(child)

    # ---- BayesOptSearchSpace -----------------------------------------------------------------
    @overrides
    def encode(self, arch):
        """One-hot op and one-hot input per edge slot, per node, per cell type (fixed length)."""
        genotype = self.desc_of(arch).genotype()
        n_in = 1 + self.builder.n_nodes
        parts = []
        for cell_type in sorted(set(self.builder.cell_types())):
            for node in genotype.get(cell_type, [[]] * self.builder.n_nodes):
                for slot in range(self.edges_per_node):
                    op_vec, in_vec = np.zeros(len(self.choices)), np.zeros(n_in)
                    if slot < len(node):
                        name, j = node[slot]
                        if name in self.choices:
                            op_vec[self.choices.index(name)] = 1.0
                        in_vec[min(j, n_in - 1)] = 1.0
                    parts.extend([op_vec, in_vec])
        return np.concatenate(parts).astype(np.float32)

    @overrides
    def encodings(self) -> List[str]:
        """``default`` (``encode``: per edge slot), ``adjacency`` (per possible edge), ``path``
        (op sequences of input-to-output paths) and ``graph`` (ops on nodes, for graph
        predictors), as ``nas_supergraph.cell_encodings`` defines."""
        return ["default", "adjacency", "path", "graph"]

    @overrides
    def encode_as(self, arch, encoding: str = "default"):
        if encoding == "default":
            return self.encode(arch)
        if encoding not in ("adjacency", "path", "graph"):
            raise ValueError(f"encoding must be one of {self.encodings()}, got {encoding!r}")
        genotype = self.desc_of(arch).genotype()
        n_nodes = self.builder.n_nodes
        cell_types = sorted(set(self.builder.cell_types()))
        if encoding == "graph":
            return cell_encodings.graph([genotype.get(t, []) for t in cell_types], self.choices, n_nodes,
                                        self.edges_per_node, self.builder.out_nodes)
        parts = []
        for cell_type in cell_types:
            nodes = genotype.get(cell_type, [])
            if encoding == "adjacency":
                parts.append(cell_encodings.adjacency(nodes, self.choices, n_nodes))
            else:
                parts.append(cell_encodings.path(nodes, self.choices, n_nodes, self.builder.out_nodes))
        return np.concatenate(parts)
