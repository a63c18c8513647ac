"""The ``mobilenet`` search space: MobileNetV3 / once-for-all style networks (fixed stem and head,
stages of inverted-residual blocks with searched depth, per-block kernel and expansion, the
stage table's SE and activation, a width multiplier and the input resolution).

The archid holds the whole architecture (``r32-w1.0-k3e4.k5e6-...``, see
:mod:`nas_edge.mobilenet_arch`), so every move works on cleared models. Modules are built lazily.
The space also lists each architecture's blocks, the contract latency tables rely on
(:mod:`nas_edge.block_contract`).
"""
from __future__ import annotations

import random
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from overrides import overrides

from nas_kernel.api import ArchaiModel, BayesOptSearchSpace, EvolutionarySearchSpace
from nas_kernel.toolbox.arch_files import read_arch, write_arch
from nas_kernel.toolbox.params import check_int, check_number
from nas_edge import arch_files
from nas_edge.mobilenet_arch import (MobileNetArch, SpaceChoices, StageTable, block_specs, parse_archid,
                                     stage_block_spec, stages_from_param, stem_specs, head_spec, conv_out)

DEFAULT_IN_CHANNELS, DEFAULT_NUM_CLASSES, DEFAULT_RESOLUTION = 3, 10, 32


def _int_list(name: str, values: Any, minimum: int = 1) -> Tuple[int, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
        raise ValueError(f"{name} must be a non-empty list of integers, got {values!r}")
    checked = tuple(check_int(f"{name}[{i}]", v, minimum) for i, v in enumerate(values))
    if len(set(checked)) != len(checked):
        raise ValueError(f"{name} has repeated values: {list(checked)}")
    return checked


def side_of(img_size: Any) -> int:
    """The resolution an ``img_size`` (an int or ``[height, width]``) gives: its larger side."""
    if isinstance(img_size, Sequence) and not isinstance(img_size, (str, bytes)):
        if len(img_size) != 2:
            raise ValueError(f"img_size must be an int or a [height, width] pair, got {img_size!r}")
        return max(check_int("img_size[0]", img_size[0], 1), check_int("img_size[1]", img_size[1], 1))
    return check_int("img_size", img_size, 1)


class MobileNetSearchSpace(EvolutionarySearchSpace, BayesOptSearchSpace):
    """MobileNetV3-style networks for the device they will run on.

    Args:
        in_channels, num_classes: the data's channels and classes (default 3 and 10; a search
            fills them from its training evaluator's dataset when the experiment leaves them out).
        img_size: the data's image size (filled from the dataset the same way; default 32).
        resolution: the network's input side when ``resolutions`` is not given (default: the
            larger side of ``img_size``).
        resolutions: input sides to search (default: ``[resolution]``); inputs of another side
            are resized inside the network.
        widths: width multipliers to search (default ``[1.0]``).
        depths: blocks per stage to choose from (default ``[2, 3, 4]``).
        kernels: depthwise kernel sizes (default ``[3, 5, 7]``).
        expansions: expansion ratios (default ``[3, 4, 6]``).
        stages: the fixed stage table, a list of ``{channels, stride, se, act}`` (default:
            MobileNetV3-Large's five stages).
        stem_channels, head_channels, feature_channels: the fixed stem and head widths.
        dropout: before the classifier.
        seed: the space's own generator.

    Encoding: ``[resolution, width, depth per stage, (kernel, expansion) per block slot]``, with
    zeros for the slots a shallower stage leaves empty.
    """

    space_name = "mobilenet"

    def __init__(self, in_channels: Optional[int] = None, num_classes: Optional[int] = None,
                 img_size: Optional[Union[int, List[int]]] = None, resolution: Optional[int] = None,
                 resolutions: Optional[List[int]] = None, widths: Optional[List[float]] = None,
                 depths: Optional[List[int]] = None, kernels: Optional[List[int]] = None,
                 expansions: Optional[List[int]] = None, stages: Optional[List[Dict[str, Any]]] = None,
                 stem_channels: int = 16, head_channels: int = 960, feature_channels: int = 1280,
                 dropout: float = 0.0, seed: int = 1) -> None:
        self.seed = check_int("seed", seed, 0)
        self.rng = random.Random(self.seed)
        self.in_channels = check_int("in_channels", DEFAULT_IN_CHANNELS if in_channels is None else in_channels, 1)
        self.num_classes = check_int("num_classes", DEFAULT_NUM_CLASSES if num_classes is None else num_classes, 2)
        if resolution is None:
            resolution = DEFAULT_RESOLUTION if img_size is None else side_of(img_size)
        self.resolution = check_int("resolution", resolution, 1)
        widths_ = (1.0,) if widths is None else widths
        if isinstance(widths_, (str, bytes)) or not isinstance(widths_, Sequence) or not widths_:
            raise ValueError(f"widths must be a non-empty list of numbers, got {widths!r}")
        kernels_ = _int_list("kernels", [3, 5, 7] if kernels is None else kernels)
        if any(k % 2 == 0 for k in kernels_):
            raise ValueError(f"kernels must be odd sizes, got {list(kernels_)}")
        table = StageTable(stages_from_param(stages), check_int("stem_channels", stem_channels, 1),
                           check_int("head_channels", head_channels, 1),
                           check_int("feature_channels", feature_channels, 1))
        self.choices = SpaceChoices(
            depths=_int_list("depths", [2, 3, 4] if depths is None else depths),
            kernels=kernels_,
            expansions=_int_list("expansions", [3, 4, 6] if expansions is None else expansions),
            widths=tuple(check_number(f"widths[{i}]", w, 0, low_open=True) for i, w in enumerate(widths_)),
            resolutions=_int_list("resolutions", [self.resolution] if resolutions is None else resolutions),
            table=table)
        self.dropout = check_number("dropout", dropout, 0, 1)

    @property
    def table(self) -> StageTable:
        return self.choices.table

    @property
    def max_depth(self) -> int:
        return max(self.choices.depths)

    # ---- archid <-> architecture -------------------------------------------------------------
    def make(self, arch: MobileNetArch, metadata: Optional[dict] = None) -> ArchaiModel:
        """The model of ``arch`` (ValueError when a choice is outside this space)."""
        self.choices.check(arch)
        table, sizes = self.table, (self.in_channels, self.num_classes, self.dropout)

        def build():
            from nas_edge.mobilenet_network import MobileNetNetwork

            return MobileNetNetwork(arch, table, sizes[0], sizes[1], sizes[2])

        return ArchaiModel(archid=arch.archid(), metadata=metadata, builder=build)

    def arch_of(self, model: ArchaiModel) -> MobileNetArch:
        """The architecture read from the archid (works on cleared models)."""
        return parse_archid(model.archid)

    def block_specs(self, model: ArchaiModel):
        """Every block of the model's network, stem and head included (BlockSpecs, forward order)."""
        return block_specs(self.arch_of(model), self.table, self.in_channels, self.num_classes)

    # ---- sampling and moves ------------------------------------------------------------------
    def _block(self) -> Tuple[int, int]:
        return self.rng.choice(self.choices.kernels), self.rng.choice(self.choices.expansions)

    @overrides
    def random_sample(self):
        c = self.choices
        blocks = tuple(tuple(self._block() for _ in range(self.rng.choice(c.depths))) for _ in c.table.stages)
        return self.make(MobileNetArch(self.rng.choice(c.resolutions), self.rng.choice(c.widths), blocks))

    @overrides
    def mutate(self, arch):
        """Change one choice: the resolution, the width, one stage's depth (one step, a new block
        drawn at random), or one block's kernel or expansion."""
        a, c = self.arch_of(arch), self.choices
        blocks = [list(stage) for stage in a.blocks]
        resolution, width = a.resolution, a.width
        moves = []
        if len(c.resolutions) > 1:
            moves.append("resolution")
        if len(c.widths) > 1:
            moves.append("width")
        if len(c.depths) > 1:
            moves.append("depth")
        if len(c.kernels) > 1:
            moves.append("kernel")
        if len(c.expansions) > 1:
            moves.append("expansion")
        move = self.rng.choice(moves) if moves else None
        if move == "resolution":
            resolution = self.rng.choice([r for r in c.resolutions if r != resolution])
        elif move == "width":
            width = self.rng.choice([w for w in c.widths if abs(w - width) > 1e-9])
        elif move == "depth":
            s = self.rng.randrange(len(blocks))
            depth = self.rng.choice([d for d in c.depths if d != len(blocks[s])])
            blocks[s] = blocks[s][:depth] + [self._block() for _ in range(depth - len(blocks[s]))]
        elif move in ("kernel", "expansion"):
            s = self.rng.randrange(len(blocks))
            i = self.rng.randrange(len(blocks[s]))
            k, e = blocks[s][i]
            if move == "kernel":
                k = self.rng.choice([x for x in c.kernels if x != k])
            else:
                e = self.rng.choice([x for x in c.expansions if x != e])
            blocks[s][i] = (k, e)
        child = MobileNetArch(resolution, width, tuple(tuple(stage) for stage in blocks))
        return self.make(child, {"parent": arch.archid})

    @overrides
    def crossover(self, arch_list):
        """Resolution, width and each stage's depth from a parent drawn at random; each block from
        a parent drawn among those that have that block."""
        parents = [self.arch_of(m) for m in arch_list]
        pick = self.rng.choice
        blocks = []
        for s in range(len(self.table.stages)):
            depth = len(pick(parents).blocks[s])
            stage = []
            for i in range(depth):
                stage.append(pick([p.blocks[s][i] for p in parents if len(p.blocks[s]) > i]))
            blocks.append(tuple(stage))
        child = MobileNetArch(pick(parents).resolution, pick(parents).width, tuple(blocks))
        return self.make(child, {"parents": [m.archid for m in arch_list]})

    @overrides
    def encode(self, arch):
        a = self.arch_of(arch)
        code: List[float] = [a.resolution, a.width, *a.depths]
        for stage in a.blocks:
            padded = list(stage) + [(0, 0)] * (self.max_depth - len(stage))
            for k, e in padded:
                code += [k, e]
        return np.array(code, dtype=np.float64)

    # ---- files -------------------------------------------------------------------------------
    @overrides
    def save_arch(self, model, file_path):
        write_arch(file_path, self.space_name, model.archid, self.arch_of(model).to_dict())

    @overrides
    def load_arch(self, file_path):
        return read_arch(file_path, self.space_name, lambda d: self.make(MobileNetArch.from_dict(d)))

    @overrides
    def save_model_weights(self, model, file_path):
        arch_files.save_weights(model.arch, file_path)

    @overrides
    def load_model_weights(self, model, file_path):
        arch_files.load_weights(model.arch, file_path)

    # ---- the block-listing contract (latency tables) -----------------------------------------
    def latency_blocks(self, model: ArchaiModel) -> List[Dict[str, Any]]:
        """The model's blocks as JSON-able dicts with a ``key`` (see nas_edge.block_contract)."""
        return [dict(spec.to_dict(), key=spec.key()) for spec in self.block_specs(model)]

    def latency_block_universe(self) -> List[Dict[str, Any]]:
        """Every distinct block any architecture of this space can contain."""
        seen: Dict[str, Dict[str, Any]] = {}
        c = self.choices
        for resolution in c.resolutions:
            for width in c.widths:
                specs = stem_specs(self.table, width, resolution, self.in_channels)
                channels, side = specs[-1].out_channels, specs[-1].out_side
                for s, row in enumerate(self.table.stages):
                    for k in c.kernels:
                        for e in c.expansions:
                            first = stage_block_spec(self.table, width, s, 0, channels, side, k, e)
                            specs.append(first)
                            if max(c.depths) > 1:
                                specs.append(stage_block_spec(self.table, width, s, 1, first.out_channels,
                                                              first.out_side, k, e))
                    channels, side = specs[-1].out_channels, conv_out(side, row.stride)
                specs.append(head_spec(self.table, width, side, self.num_classes))
                for spec in specs:
                    seen.setdefault(spec.key(), dict(spec.to_dict(), key=spec.key()))
        return list(seen.values())

    def build_latency_block(self, block: Dict[str, Any]):
        """``(module, example input)`` of one block of :meth:`latency_blocks`."""
        from nas_edge.mobilenet_arch import BlockSpec
        from nas_edge.mobilenet_network import block_input, build_block

        spec = BlockSpec(**{k: v for k, v in block.items() if k != "key"})
        return build_block(spec), block_input(spec)

    def latency_input_shape(self, model: ArchaiModel) -> Tuple[int, ...]:
        """The whole network's input shape for one deployed inference (batch 1, its resolution)."""
        r = self.arch_of(model).resolution
        return (1, self.in_channels, r, r)
