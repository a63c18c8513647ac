"""Segmentation DAGs: dense outputs of the image size, valid graphs after every move."""
import pytest
import torch

from nas_kernel.api import ArchaiModel
from nas_search_spaces.segmentation_dag import Node, SegmentationDagSearchSpace


def test_random_and_mutated_models_give_dense_outputs():
    space = SegmentationDagSearchSpace(nb_classes=4, img_size=[10, 14], base_channels=2, max_layers=5, seed=0)
    x = torch.randn(1, 3, 10, 14)
    model = space.random_sample()
    for _ in range(6):
        child = space.mutate(model)
        assert child.metadata["parent"] == model.archid
        with torch.no_grad():
            assert child.arch(x).shape == (1, 4, 10, 14)
        model = child


def test_archid_holds_the_graph():
    space = SegmentationDagSearchSpace(seed=0)
    model = space.make([Node("conv3x3", 2, 0), Node("sep_conv5x5", 1, 1, 0)])
    assert model.archid == "conv3x3.d2.i0,sep_conv5x5.d1.i1+0"
    assert space.nodes(ArchaiModel(archid=model.archid)) == [Node("conv3x3", 2, 0), Node("sep_conv5x5", 1, 1, 0)]
    for bad in ["conv3x3.d3.i0", "conv3x3.d2.i1", "conv3x3.d2.i0,conv3x3.d2.i1+1", "conv4x4.d1.i0", "junk"]:
        with pytest.raises(ValueError):
            space.nodes(ArchaiModel(archid=bad))


def test_mutation_moves_cover_add_and_remove():
    space = SegmentationDagSearchSpace(min_layers=1, max_layers=3, seed=1)
    lengths = set()
    model = space.random_sample()
    for _ in range(40):
        model = space.mutate(model)
        lengths.add(len(space.nodes(model)))
    assert lengths == {1, 2, 3}


def test_parameters_are_validated():
    with pytest.raises(ValueError, match="max_downsample_factor"):
        SegmentationDagSearchSpace(max_downsample_factor=6)
    with pytest.raises(ValueError, match="op"):
        SegmentationDagSearchSpace(ops=["conv2x2"])
    with pytest.raises(ValueError, match="img_size"):
        SegmentationDagSearchSpace(img_size=[1, 2, 3])
    no_skips = SegmentationDagSearchSpace(skip_connections=False, seed=2)
    assert all(n.skip is None for _ in range(10) for n in no_skips.nodes(no_skips.random_sample()))
