"""One-shot searchers for ``nas search``: ``darts`` and ``gdas``.

They run on the kernel loop with a single iteration whose proposal is the searched cell: the
supergraph of the ``darts_cells`` space is trained by an ``ExperimentRunner`` (checkpointed in
``OUTPUT_DIR/supergraph`` after every epoch, so ``nas search --resume`` continues a killed
search), finalized into a discrete ``ModelDesc`` (saved as ``OUTPUT_DIR/final_model_desc.yaml``),
wrapped as an ``ArchaiModel`` of the space, then evaluated with the experiment's objectives and
recorded by the loop like any other candidate.
"""
from __future__ import annotations

import os
from typing import Any, Optional

from overrides import overrides

from nas_kernel.loop import IterativeSearcher, Proposal
from nas_supergraph.op_lookup import use_plugin_manager

FINAL_DESC = "final_model_desc.yaml"


class DartsSearcher(IterativeSearcher):
    """DARTS: softmax-relaxed cells, bilevel optimisation (``second_order`` for the unrolled
    gradient), top-``edges_per_node`` edges per node. Dataset: a provider, or ``digits`` from the
    datasets plugin when not given. Parameters after ``seed`` follow ``ArchTrainer``."""

    algorithm = "darts"

    def __init__(self, search_space: Any, search_objectives: Any, output_dir: str, dataset: Any = None,
                 epochs: int = 2, batch_size: int = 64, second_order: bool = False, w_lr: float = 0.025,
                 w_momentum: float = 0.9, w_weight_decay: float = 3e-4, alpha_lr: float = 3e-3,
                 alpha_weight_decay: float = 1e-3, grad_clip: float = 5.0, seed: int = 1,
                 num_threads: int = 1) -> None:
        super().__init__(search_space, search_objectives, output_dir, num_iters=1, seed=seed)
        for name in ("builder", "model_from_desc", "ops", "edges_per_node"):
            if not hasattr(search_space, name):
                raise ValueError(f"search_space: the {self.algorithm} searcher needs a cell space such as "
                                 f"darts_cells, got {type(search_space).__name__}")
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"epochs must be a positive whole number, got {epochs!r}")
        if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
            raise ValueError(f"num_threads must be a positive whole number, got {num_threads!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive whole number, got {batch_size!r}")
        self.dataset = dataset
        self.num_threads = num_threads
        self.search_config = {"algorithm": self.algorithm, "epochs": epochs, "batch_size": batch_size,
                              "second_order": bool(second_order), "w_lr": w_lr, "w_momentum": w_momentum,
                              "w_weight_decay": w_weight_decay, "alpha_lr": alpha_lr,
                              "alpha_weight_decay": alpha_weight_decay, "grad_clip": grad_clip,
                              "edges_per_node": search_space.edges_per_node}
        self.final_desc = None

    def runner(self):
        from nas_supergraph.experiment_runner import ExperimentRunner

        b = self.search_space.builder
        config = {"seed": self.seed, "output_dir": os.path.join(self.output_dir, "supergraph"),
                  "model": {"init_channels": b.init_channels, "n_cells": b.n_cells, "n_nodes": b.n_nodes,
                            "stem_multiplier": b.stem_multiplier, "reductions": list(b.reductions),
                            "ops": list(self.search_space.ops)},
                  "search": dict(self.search_config)}
        return ExperimentRunner(config, dataset=self.dataset, plugin_manager=self.plugin_manager)

    @overrides
    def propose(self, iteration):
        if iteration > 1:
            return []
        import torch

        from nas_supergraph.data import describe

        torch.set_num_threads(self.num_threads)
        runner = self.runner()
        space = self.search_space
        data = describe(runner.dataset)
        if data != (space.builder.in_channels, space.builder.num_classes):
            raise ValueError(f"the dataset has {data[0]} input channels and {data[1]} classes but the search "
                             f"space is built for {space.builder.in_channels} and {space.builder.num_classes}")
        searched = runner.run_search()
        final = space.builder.build(searched)  # re-laid out by the space: same archid as sampled cells
        final.params.update({k: searched.params[k] for k in ("algorithm", "alphas") if k in searched.params})
        final.save(os.path.join(self.output_dir, FINAL_DESC))
        self.final_desc = final
        with use_plugin_manager(self.plugin_manager):  # the model is built later, with these ops
            model = space.model_from_desc(final)
        return Proposal([model], extra={"algorithm": [self.algorithm]})


class GdasSearcher(DartsSearcher):
    """GDAS: each step runs one candidate per edge, drawn by hard Gumbel-softmax from the alphas
    (temperature annealed from 10 to 0.1); first-order only."""

    algorithm = "gdas"

    def __init__(self, search_space: Any, search_objectives: Any, output_dir: str, dataset: Any = None,
                 epochs: int = 2, batch_size: int = 64, w_lr: float = 0.025, w_momentum: float = 0.9,
                 w_weight_decay: float = 3e-4, alpha_lr: float = 3e-3, alpha_weight_decay: float = 1e-3,
                 grad_clip: float = 5.0, seed: int = 1, num_threads: int = 1) -> None:
        super().__init__(search_space, search_objectives, output_dir, dataset=dataset, epochs=epochs,
                         batch_size=batch_size, second_order=False, w_lr=w_lr, w_momentum=w_momentum,
                         w_weight_decay=w_weight_decay, alpha_lr=alpha_lr, alpha_weight_decay=alpha_weight_decay,
                         grad_clip=grad_clip, seed=seed, num_threads=num_threads)


def load_final_desc(output_dir: str, name: Optional[str] = None):
    """The searched ``ModelDesc`` a one-shot search saved in ``output_dir``."""
    from nas_supergraph.descs import ModelDesc

    return ModelDesc.load(os.path.join(output_dir, name or FINAL_DESC))
