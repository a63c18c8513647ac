"""Small, fast configurations of every space, with an input batch for each (shared by tests)."""
from __future__ import annotations

import torch

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
