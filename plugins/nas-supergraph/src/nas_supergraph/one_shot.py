"""One-shot searchers for ``nas search``: ``darts`` and ``gdas``.

They run on the kernel loop with a single iteration whose proposal is the searched cell: the
supergraph of the ``darts_cells`` space is trained by the supergraph ``Searcher`` (checkpointed in
``OUTPUT_DIR/supergraph/search`` after every epoch, so ``nas search --resume`` continues a killed
search), finalized into a discrete ``ModelDesc`` (saved as ``OUTPUT_DIR/final_model_desc.yaml``),
wrapped as an ``ArchaiModel`` of the space, then evaluated with the experiment's objectives and
recorded by the loop like any other candidate.
"""
from __future__ import annotations

import os
from typing import Any, Optional

from overrides import overrides

from nas_kernel.loop import IterativeSearcher, Proposal
from nas_kernel.toolbox.params import check_int
from nas_supergraph.conf import arch_trainer_conf

FINAL_DESC = "final_model_desc.yaml"


class DartsSearcher(IterativeSearcher):
    """DARTS: softmax-relaxed cells, bilevel optimisation (``second_order`` for the unrolled
    gradient), top-``edges_per_node`` edges per node. Dataset: a provider, or ``digits`` from the
    datasets plugin when not given. ``device``: ``auto | cpu | cuda | cuda:N``; ``precision``:
    ``fp32 | bf16 | fp16``. ``progress_bar``: a per-epoch bar of the supergraph training on stderr
    (never in a quiet run, ``nas search -q``). The other parameters are the trainer's (``ArchTrainer``)."""

    algorithm = "darts"

    def __init__(self, search_space: Any, search_objectives: Any, output_dir: str, dataset: Any = None,
                 epochs: int = 2, batch_size: int = 64, second_order: bool = False, w_lr: float = 0.025,
                 w_momentum: float = 0.9, w_weight_decay: float = 3e-4, alpha_lr: float = 3e-3,
                 alpha_weight_decay: float = 1e-3, grad_clip: float = 5.0, device: str = "auto",
                 precision: str = "fp32", seed: int = 1, num_threads: int = 1, progress_bar: bool = True) -> None:
        super().__init__(search_space, search_objectives, output_dir, num_iters=1, seed=seed)
        self.progress_bar = bool(progress_bar)
        for name in ("builder", "model_from_desc", "ops", "edges_per_node"):
            if not hasattr(search_space, name):
                raise ValueError(f"search_space: the {self.algorithm} searcher needs a cell space such as "
                                 f"darts_cells, got {type(search_space).__name__}")
        self.num_threads = check_int("num_threads", num_threads, minimum=1)
        self.dataset = dataset
        # the one validation of these settings: the trainer's schema, here at build time
        self.conf_trainer = arch_trainer_conf(
            {"algorithm": self.algorithm, "epochs": epochs, "batch_size": batch_size, "second_order": second_order,
             "optimizer": {"lr": w_lr, "momentum": w_momentum, "decay": w_weight_decay},
             "alpha_optimizer": {"lr": alpha_lr, "decay": alpha_weight_decay}, "grad_clip": grad_clip,
             "device": device, "precision": precision}, "searcher")
        self.final_desc = None

    def conf_search(self) -> dict:
        """The search section this searcher runs (``nas_supergraph.conf.RUNNER['nas']['search']``)."""
        from nas_supergraph.conf import RUNNER, validate

        space = self.search_space
        work = os.path.join(self.output_dir, "supergraph", "search")
        return validate({"model_desc": space.builder.macro_conf(space.ops), "trainer": self.conf_trainer,
                         "final_desc_filename": os.path.join(work, FINAL_DESC),
                         "full_desc_filename": os.path.join(work, "full_model_desc.yaml"),
                         "checkpoint": {"filename": os.path.join(work, "checkpoint.pt")}},
                        RUNNER["nas"]["search"], "nas.search")

    @overrides
    def propose(self, iteration):
        if iteration > 1:
            return []
        import torch

        from nas_supergraph.arch_trainer import ArchTrainer
        from nas_supergraph.data import describe
        from nas_supergraph.finalizers import Finalizers
        from nas_supergraph.model_desc_builder import ModelDescBuilder
        from nas_supergraph.searcher import Searcher

        torch.set_num_threads(self.num_threads)
        space = self.search_space
        searcher = Searcher(self.dataset, self.seed, resume=True)
        data = describe(searcher.provider())
        if data != (space.builder.in_channels, space.builder.num_classes):
            raise ValueError(f"the dataset has {data[0]} input channels and {data[1]} classes but the search "
                             f"space is built for {space.builder.in_channels} and {space.builder.num_classes}")
        from nas_supergraph.progress import EpochProgress

        # off when asked, and inside a quiet run (`nas search -q`): the run's session says so
        bar = EpochProgress(f"{self.algorithm} supergraph", self.conf_trainer["epochs"], self.progress_bar)
        searcher.epoch_callbacks.append(bar)
        try:
            result = searcher.search(self.conf_search(), ModelDescBuilder(), ArchTrainer,
                                     Finalizers(space.edges_per_node))
        finally:
            bar.close()
        searched = result.model_desc
        final = space.builder.build_discrete(searched)  # re-laid out by the space: same archid as sampled cells
        final.params.update({k: searched.params[k] for k in ("algorithm", "alphas") if k in searched.params})
        final.save(os.path.join(self.output_dir, FINAL_DESC))
        self.final_desc = final
        return Proposal([space.model_from_desc(final)], extra={"algorithm": [self.algorithm]})


class GdasSearcher(DartsSearcher):
    """GDAS: each step runs one candidate per edge, drawn by hard Gumbel-softmax from the alphas
    (temperature annealed from 10 to 0.1); first-order only."""

    algorithm = "gdas"

    def __init__(self, search_space: Any, search_objectives: Any, output_dir: str, dataset: Any = None,
                 epochs: int = 2, batch_size: int = 64, w_lr: float = 0.025, w_momentum: float = 0.9,
                 w_weight_decay: float = 3e-4, alpha_lr: float = 3e-3, alpha_weight_decay: float = 1e-3,
                 grad_clip: float = 5.0, device: str = "auto", precision: str = "fp32", seed: int = 1,
                 num_threads: int = 1, progress_bar: bool = True) -> None:
        super().__init__(search_space, search_objectives, output_dir, dataset=dataset, epochs=epochs,
                         batch_size=batch_size, second_order=False, w_lr=w_lr, w_momentum=w_momentum,
                         w_weight_decay=w_weight_decay, alpha_lr=alpha_lr, alpha_weight_decay=alpha_weight_decay,
                         grad_clip=grad_clip, device=device, precision=precision, seed=seed,
                         num_threads=num_threads, progress_bar=progress_bar)


def load_final_desc(output_dir: str, name: Optional[str] = None):
    """The searched ``ModelDesc`` a one-shot search saved in ``output_dir``."""
    from nas_supergraph.model_desc import ModelDesc

    return ModelDesc.load(os.path.join(output_dir, name or FINAL_DESC))
