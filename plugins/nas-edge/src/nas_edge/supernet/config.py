"""What a supernet covers: the ``mobilenet`` space's frame (stage table, data sizes, dropout) and
the choices its sub-networks may take, at one width multiplier.

Why one width: every channel count of the stage table is scaled by the multiplier, so networks of
two widths share no block of the same shape (the stages' input and output channels differ, not
only the expanded ones). A supernet is therefore trained for one width and refuses architectures
of another, naming the width it holds; kernel size, expansion, depth per stage and the input
resolution are elastic.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from nas_edge.mobilenet_arch import MobileNetArch, SpaceChoices, StageSpec, StageTable, format_width


@dataclass(frozen=True)
class SupernetConfig:
    """The space configuration a supernet was built for (JSON-able through :meth:`to_dict`)."""

    table: StageTable
    depths: Tuple[int, ...]
    kernels: Tuple[int, ...]
    expansions: Tuple[int, ...]
    resolutions: Tuple[int, ...]
    width: float
    in_channels: int
    num_classes: int
    dropout: float = 0.0

    @classmethod
    def of_space(cls, space: Any, width: Optional[float] = None) -> "SupernetConfig":
        """The configuration of a ``mobilenet`` space at ``width`` (default: its largest width);
        ValueError when ``width`` is not one of the space's widths."""
        choices: SpaceChoices = space.choices
        widths = sorted(choices.widths)
        if width is None:
            width = widths[-1]
        if not any(abs(float(width) - w) < 1e-9 for w in widths):
            raise ValueError(f"width must be one of the space's widths {widths}, got {width!r}")
        return cls(choices.table, tuple(sorted(choices.depths)), tuple(sorted(choices.kernels)),
                   tuple(sorted(choices.expansions)), tuple(sorted(choices.resolutions)), float(width),
                   int(space.in_channels), int(space.num_classes), float(space.dropout))

    # ---- the extremes of the sandwich rule ----------------------------------------------------
    def largest(self) -> MobileNetArch:
        block = (max(self.kernels), max(self.expansions))
        return MobileNetArch(max(self.resolutions), self.width,
                             tuple((block,) * max(self.depths) for _ in self.table.stages))

    def smallest(self) -> MobileNetArch:
        block = (min(self.kernels), min(self.expansions))
        return MobileNetArch(min(self.resolutions), self.width,
                             tuple((block,) * min(self.depths) for _ in self.table.stages))

    def choices(self) -> SpaceChoices:
        return SpaceChoices(self.depths, self.kernels, self.expansions, (self.width,), self.resolutions, self.table)

    # ---- checks -------------------------------------------------------------------------------
    def check_arch(self, arch: MobileNetArch) -> None:
        """ValueError naming the first choice of ``arch`` this supernet does not hold."""
        if abs(arch.width - self.width) > 1e-9:
            raise ValueError(f"width {format_width(arch.width)} is not the supernet's: it was trained for width "
                             f"{format_width(self.width)} only (train one supernet per width)")
        try:
            self.choices().check(arch)
        except ValueError as exc:
            raise ValueError(f"outside the supernet's range: {exc}") from None

    def differences(self, other: "SupernetConfig") -> list:
        """What differs between two configurations, one phrase per field (empty when equal)."""
        mine, theirs = self.to_dict(), other.to_dict()
        return [f"{key} {theirs[key]!r} (the supernet has {mine[key]!r})" for key in mine if mine[key] != theirs[key]]

    # ---- files --------------------------------------------------------------------------------
    def to_dict(self) -> Dict[str, Any]:
        return {"table": self.table.to_dict(), "depths": list(self.depths), "kernels": list(self.kernels),
                "expansions": list(self.expansions), "resolutions": list(self.resolutions), "width": self.width,
                "in_channels": self.in_channels, "num_classes": self.num_classes, "dropout": self.dropout}

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "SupernetConfig":
        """The inverse of :meth:`to_dict`; ValueError when a key is missing or malformed."""
        try:
            t = d["table"]
            table = StageTable(tuple(StageSpec(**row) for row in t["stages"]), int(t["stem_channels"]),
                               int(t["head_channels"]), int(t["feature_channels"]))
            return cls(table, tuple(int(x) for x in d["depths"]), tuple(int(x) for x in d["kernels"]),
                       tuple(int(x) for x in d["expansions"]), tuple(int(x) for x in d["resolutions"]),
                       float(d["width"]), int(d["in_channels"]), int(d["num_classes"]), float(d["dropout"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a mobilenet supernet configuration ({type(exc).__name__}: {exc})") from None
