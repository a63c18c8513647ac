"""The ``mobilenet`` space's architecture description: plain frozen dataclasses, no torch.

Why a separate module: the space (sampling, moves, files), the network builder, the latency
tables and a weight-sharing supernet all read the same description, so it lives once, here,
without importing torch.

The format
----------
A network is a fixed **stem** (3x3 conv, stride 2, then one fixed depthwise-separable block),
a list of **stages** and a fixed **head** (1x1 conv, global pool, 1x1 "feature" conv, linear).
What a stage is made of is the fixed :class:`StageSpec` table (MobileNetV3-Large's by default,
:data:`MOBILENET_V3_STAGES`): output channels, the stride of its first block, squeeze-and-
excitation on or off, activation (``relu`` or ``hswish``). What is searched is a
:class:`MobileNetArch`:

- ``resolution``: the input's side in pixels (the network resizes other inputs to it);
- ``width``: the width multiplier (every channel count of stem, stages and head is scaled by it
  and rounded to a multiple of 8, at least 8);
- ``blocks``: one tuple per stage, one ``(kernel, expansion)`` pair per active block; the
  stage's depth is the tuple's length.

For example, with the default 5-stage table::

    MobileNetArch(resolution=32, width=1.0,
                  blocks=(((3, 4), (5, 6)), ((3, 3), (3, 3)), ((7, 6), (5, 4), (3, 3)),
                          ((3, 6), (3, 6)), ((5, 6), (5, 6), (7, 6), (3, 4))))

whose readable archid (:meth:`MobileNetArch.archid`) is
``r32-w1.0-k3e4.k5e6-k3e3.k3e3-k7e6.k5e4.k3e3-k3e6.k3e6-k5e6.k5e6.k7e6.k3e4``.

:func:`block_specs` expands an architecture into one :class:`BlockSpec` per block of the
network, stem and head included, with everything needed to build or time that block alone
(input/output channels, stride, kernel, expansion, SE, activation, input side). A supernet
reuses the same stage table and the same per-block specs, indexing blocks by ``(stage, index)``.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

ACTIVATIONS = ("relu", "hswish")
#: block kinds of :class:`BlockSpec`: the stem conv, the fixed first block, a searched
#: inverted-residual block, the head (1x1 conv + pool + feature conv + classifier)
BLOCK_KINDS = ("stem", "first", "mbconv", "head")


@dataclass(frozen=True)
class StageSpec:
    """One row of the fixed stage table: what the search does not change."""

    channels: int
    stride: int
    se: bool
    act: str

    def __post_init__(self) -> None:
        if not isinstance(self.channels, int) or self.channels < 1:
            raise ValueError(f"stage channels must be a positive integer, got {self.channels!r}")
        if self.stride not in (1, 2):
            raise ValueError(f"stage stride must be 1 or 2, got {self.stride!r}")
        if not isinstance(self.se, bool):
            raise ValueError(f"stage se must be true or false, got {self.se!r}")
        if self.act not in ACTIVATIONS:
            raise ValueError(f"stage act must be one of {', '.join(ACTIVATIONS)}, got {self.act!r}")


@dataclass(frozen=True)
class StageTable:
    """The fixed frame: stem width, the stages, the head's widths (all before the multiplier)."""

    stages: Tuple[StageSpec, ...]
    stem_channels: int = 16
    head_channels: int = 960      # the 1x1 conv after the last stage
    feature_channels: int = 1280  # the 1x1 conv after the global pool

    def to_dict(self) -> Dict[str, Any]:
        return {"stages": [asdict(s) for s in self.stages], "stem_channels": self.stem_channels,
                "head_channels": self.head_channels, "feature_channels": self.feature_channels}


#: MobileNetV3-Large after its first block, as once-for-all's MobileNetV3 space uses it
MOBILENET_V3_STAGES: Tuple[StageSpec, ...] = (
    StageSpec(24, 2, False, "relu"),
    StageSpec(40, 2, True, "relu"),
    StageSpec(80, 2, False, "hswish"),
    StageSpec(112, 1, True, "hswish"),
    StageSpec(160, 2, True, "hswish"),
)
DEFAULT_TABLE = StageTable(MOBILENET_V3_STAGES)


@dataclass(frozen=True)
class MobileNetArch:
    """One architecture of the space (see the module docstring for the format)."""

    resolution: int
    width: float
    blocks: Tuple[Tuple[Tuple[int, int], ...], ...]

    @property
    def depths(self) -> Tuple[int, ...]:
        return tuple(len(stage) for stage in self.blocks)

    @property
    def kernels(self) -> Tuple[Tuple[int, ...], ...]:
        return tuple(tuple(k for k, _ in stage) for stage in self.blocks)

    @property
    def expansions(self) -> Tuple[Tuple[int, ...], ...]:
        return tuple(tuple(e for _, e in stage) for stage in self.blocks)

    def archid(self) -> str:
        stages = "-".join(".".join(f"k{k}e{e}" for k, e in stage) for stage in self.blocks)
        return f"r{self.resolution}-w{format_width(self.width)}-{stages}"

    def to_dict(self) -> Dict[str, Any]:
        """JSON-able: ``{"resolution", "width", "depths", "kernels", "expansions"}``."""
        return {"resolution": self.resolution, "width": self.width, "depths": list(self.depths),
                "kernels": [list(k) for k in self.kernels], "expansions": [list(e) for e in self.expansions]}

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "MobileNetArch":
        """The inverse of :meth:`to_dict`; ValueError when the shape is wrong."""
        if not isinstance(d, dict) or set(d) != {"resolution", "width", "depths", "kernels", "expansions"}:
            got = sorted(d) if isinstance(d, dict) else type(d).__name__
            raise ValueError(f"mobilenet architecture: expected keys depths, expansions, kernels, resolution, "
                             f"width, got {got}")
        depths, kernels, expansions = d["depths"], d["kernels"], d["expansions"]
        if not (isinstance(depths, list) and isinstance(kernels, list) and isinstance(expansions, list)
                and len(depths) == len(kernels) == len(expansions)):
            raise ValueError("mobilenet architecture: depths, kernels and expansions must be lists of one "
                             "entry per stage")
        blocks = []
        for i, (depth, ks, es) in enumerate(zip(depths, kernels, expansions)):
            if not (isinstance(ks, list) and isinstance(es, list) and len(ks) == len(es) == depth):
                raise ValueError(f"mobilenet architecture: stage {i} has depth {depth!r} but kernels {ks!r} "
                                 f"and expansions {es!r}")
            blocks.append(tuple((_int(f"kernels[{i}]", k), _int(f"expansions[{i}]", e)) for k, e in zip(ks, es)))
        width = d["width"]
        if isinstance(width, bool) or not isinstance(width, (int, float)) or width <= 0:
            raise ValueError(f"mobilenet architecture: width must be a positive number, got {width!r}")
        return cls(_int("resolution", d["resolution"]), float(width), tuple(blocks))


_ARCHID = re.compile(r"^r(\d+)-w(\d+(?:\.\d+)?)((?:-k\d+e\d+(?:\.k\d+e\d+)*)+)$")
_BLOCK = re.compile(r"^k(\d+)e(\d+)$")


def parse_archid(archid: str) -> MobileNetArch:
    """The architecture an archid names; ValueError when it is not a mobilenet archid."""
    match = _ARCHID.match(archid) if isinstance(archid, str) else None
    if match is None:
        raise ValueError(f"{archid!r} is not a mobilenet archid (expected like 'r32-w1.0-k3e4.k5e6-k3e3')")
    stages = []
    for stage in match.group(3)[1:].split("-"):
        stages.append(tuple(tuple(int(g) for g in _BLOCK.match(b).groups()) for b in stage.split(".")))
    return MobileNetArch(int(match.group(1)), float(match.group(2)), tuple(stages))


def format_width(width: float) -> str:
    """``1.0``, ``0.75``: the shortest spelling that keeps at least one decimal."""
    text = f"{float(width):.4f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def scale_channels(channels: int, width: float, divisor: int = 8) -> int:
    """``channels * width`` rounded to the nearest multiple of ``divisor`` (never below
    ``divisor``, never more than 10 % under the exact value), as MobileNets round."""
    exact = channels * width
    rounded = max(divisor, int(exact + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * exact:
        rounded += divisor
    return rounded


def se_channels(expanded: int) -> int:
    """The squeeze width of an SE module over ``expanded`` channels (a quarter, multiple of 8)."""
    return scale_channels(expanded, 0.25)


def conv_out(side: int, stride: int) -> int:
    """Spatial side after a same-padded conv with this stride."""
    return (side + stride - 1) // stride


@dataclass(frozen=True)
class BlockSpec:
    """Everything that decides one block's module and cost, and nothing else.

    ``kind`` is one of :data:`BLOCK_KINDS`. For ``mbconv`` and ``first`` blocks: an inverted-
    residual block (1x1 expand by ``expansion`` -> ``kernel`` depthwise with ``stride`` -> SE ->
    1x1 project, residual when stride 1 and channels agree). ``stem``: a ``kernel`` conv with
    ``stride``. ``head``: 1x1 conv to ``mid_channels``, pool, 1x1 conv to ``feature_channels``,
    linear to ``out_channels`` (the classes). ``side`` is the input's spatial side.
    """

    kind: str
    in_channels: int
    out_channels: int
    stride: int
    kernel: int
    expansion: int
    se: bool
    act: str
    side: int
    mid_channels: int = 0
    feature_channels: int = 0

    def key(self) -> str:
        """A short unique text key: the latency table's row name."""
        extra = f"-m{self.mid_channels}-f{self.feature_channels}" if self.kind == "head" else ""
        return (f"{self.kind}-i{self.in_channels}-o{self.out_channels}-s{self.stride}-k{self.kernel}"
                f"-e{self.expansion}-se{int(self.se)}-{self.act}-r{self.side}{extra}")

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @property
    def out_side(self) -> int:
        return 1 if self.kind == "head" else conv_out(self.side, self.stride)


@dataclass(frozen=True)
class Frame:
    """The fixed widths of one network once the multiplier is applied (per stage, stem, head)."""

    stem_channels: int
    stage_channels: Tuple[int, ...]
    head_channels: int
    feature_channels: int


def frame(table: StageTable, width: float) -> Frame:
    return Frame(scale_channels(table.stem_channels, width),
                 tuple(scale_channels(s.channels, width) for s in table.stages),
                 scale_channels(table.head_channels, width),
                 scale_channels(table.feature_channels, max(1.0, width)))


def stem_specs(table: StageTable, width: float, resolution: int, in_channels: int) -> List[BlockSpec]:
    """The stem conv and the fixed first block (expansion 1, kernel 3, ReLU, no SE)."""
    f = frame(table, width)
    side = conv_out(resolution, 2)
    return [BlockSpec("stem", in_channels, f.stem_channels, 2, 3, 1, False, "hswish", resolution),
            BlockSpec("first", f.stem_channels, f.stem_channels, 1, 3, 1, False, "relu", side)]


def stage_block_spec(table: StageTable, width: float, stage: int, index: int, in_channels: int, side: int,
                     kernel: int, expansion: int) -> BlockSpec:
    """Block ``index`` of ``stage``: the first block takes the stage's stride and the previous
    stage's channels, the others keep both."""
    row, f = table.stages[stage], frame(table, width)
    return BlockSpec("mbconv", in_channels, f.stage_channels[stage], row.stride if index == 0 else 1, kernel,
                     expansion, row.se, row.act, side)


def head_spec(table: StageTable, width: float, side: int, num_classes: int) -> BlockSpec:
    f = frame(table, width)
    return BlockSpec("head", f.stage_channels[-1], num_classes, 1, 1, 1, False, "hswish", side,
                     f.head_channels, f.feature_channels)


def block_specs(arch: MobileNetArch, table: StageTable, in_channels: int, num_classes: int) -> List[BlockSpec]:
    """Every block of ``arch``'s network in forward order: stem, first, the stages' blocks, head."""
    if len(arch.blocks) != len(table.stages):
        raise ValueError(f"architecture has {len(arch.blocks)} stages, the stage table {len(table.stages)}")
    specs = stem_specs(table, arch.width, arch.resolution, in_channels)
    channels, side = specs[-1].out_channels, specs[-1].out_side
    for s, stage in enumerate(arch.blocks):
        for i, (kernel, expansion) in enumerate(stage):
            spec = stage_block_spec(table, arch.width, s, i, channels, side, kernel, expansion)
            specs.append(spec)
            channels, side = spec.out_channels, spec.out_side
    specs.append(head_spec(table, arch.width, side, num_classes))
    return specs


def _int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"mobilenet architecture: {name} must be a positive integer, got {value!r}")
    return value


@dataclass(frozen=True)
class SpaceChoices:
    """The choices the search draws from (the space's parameters, checked)."""

    depths: Tuple[int, ...] = (2, 3, 4)
    kernels: Tuple[int, ...] = (3, 5, 7)
    expansions: Tuple[int, ...] = (3, 4, 6)
    widths: Tuple[float, ...] = (1.0,)
    resolutions: Tuple[int, ...] = (32,)
    table: StageTable = field(default=DEFAULT_TABLE)

    def check(self, arch: MobileNetArch) -> None:
        """ValueError naming the first choice of ``arch`` outside this space."""
        if arch.resolution not in self.resolutions:
            raise ValueError(f"resolution {arch.resolution} not in {list(self.resolutions)}")
        if not any(abs(arch.width - w) < 1e-9 for w in self.widths):
            raise ValueError(f"width {arch.width} not in {list(self.widths)}")
        if len(arch.blocks) != len(self.table.stages):
            raise ValueError(f"{len(arch.blocks)} stages, the space has {len(self.table.stages)}")
        for s, stage in enumerate(arch.blocks):
            if len(stage) not in self.depths:
                raise ValueError(f"stage {s} depth {len(stage)} not in {list(self.depths)}")
            for k, e in stage:
                if k not in self.kernels or e not in self.expansions:
                    raise ValueError(f"stage {s} block k{k}e{e}: kernel not in {list(self.kernels)} or expansion "
                                     f"not in {list(self.expansions)}")


def stages_from_param(stages: Optional[Sequence[Any]]) -> Tuple[StageSpec, ...]:
    """The ``stages`` parameter (a list of ``{channels, stride, se, act}``) as StageSpecs."""
    if stages is None:
        return MOBILENET_V3_STAGES
    if isinstance(stages, (str, bytes)) or not isinstance(stages, Sequence) or not stages:
        raise ValueError(f"stages must be a non-empty list of {{channels, stride, se, act}}, got {stages!r}")
    rows = []
    for i, row in enumerate(stages):
        if not isinstance(row, dict) or set(row) != {"channels", "stride", "se", "act"}:
            raise ValueError(f"stages[{i}] must have exactly the keys act, channels, se, stride, got {row!r}")
        try:
            rows.append(StageSpec(**row))
        except ValueError as exc:
            raise ValueError(f"stages[{i}]: {exc}") from None
    return tuple(rows)
