"""NAS-Bench-201 cell strings: 4 nodes, 6 edges, one op per edge, written
``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`` (edges 0->1, 0->2, 1->2, 0->3, 1->3, 2->3)."""
from __future__ import annotations

from typing import List, Sequence, Tuple

OP_NAMES = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES: Tuple[Tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))  # (from, to)


def parse_cell(text: str) -> List[str]:
    """The 6 edge ops of a cell string, in edge order; ValueError if malformed."""
    if not isinstance(text, str):
        raise ValueError(f"cell string must be text, got {text!r}")
    nodes = text.split("+")
    ops: List[str] = []
    if len(nodes) != 3:
        raise ValueError(f"{text!r} is not a NAS-Bench-201 cell string (expected 3 nodes joined by '+')")
    for to_node, node in enumerate(nodes, start=1):
        parts = node.strip("|").split("|")
        if len(parts) != to_node or not node.startswith("|") or not node.endswith("|"):
            raise ValueError(f"{text!r}: node {to_node} must list {to_node} input edges")
        for source, part in enumerate(parts):
            op, _, src = part.partition("~")
            if op not in OP_NAMES or src != str(source):
                raise ValueError(f"{text!r}: bad edge {part!r} (expected '<op>~{source}', op in {OP_NAMES})")
            ops.append(op)
    return ops


def format_cell(ops: Sequence[str]) -> str:
    """Cell string of 6 edge ops (edge order)."""
    if len(ops) != len(EDGES) or any(op not in OP_NAMES for op in ops):
        raise ValueError(f"need {len(EDGES)} ops from {OP_NAMES}, got {list(ops)}")
    nodes, k = [], 0
    for to_node in range(1, 4):
        nodes.append("|" + "|".join(f"{ops[k + s]}~{s}" for s in range(to_node)) + "|")
        k += to_node
    return "+".join(nodes)


def one_edit_neighbours(ops: Sequence[str], op_order: Sequence[str] = OP_NAMES) -> List[List[str]]:
    """The 24 op lists that differ from ``ops`` in exactly one edge: edge by edge, the other ops
    in ``op_order``."""
    return [list(ops[:edge]) + [op] + list(ops[edge + 1:])
            for edge in range(len(EDGES)) for op in op_order if op != ops[edge]]


def genotype(ops: Sequence[str]) -> List[List[Tuple[str, int]]]:
    """Per node 1..3, its ``(op, input node)`` edges."""
    out, k = [], 0
    for to_node in range(1, 4):
        out.append([(ops[k + s], s) for s in range(to_node)])
        k += to_node
    return out
