"""Plain-text tables for the terminal (the CLI's only formatting need)."""
from __future__ import annotations

from typing import List, Sequence

__all__ = ["number", "render"]


def render(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns; a cell may hold several lines (continuation lines stay in column)."""
    split_rows = [[str(c).split("\n") for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in split_rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], *(len(line) for line in cell))
    lines: List[str] = [_line(headers, widths)]
    for row in split_rows:
        height = max(len(c) for c in row)
        for k in range(height):
            lines.append(_line([c[k] if k < len(c) else "" for c in row], widths))
    return "\n".join(lines)


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()


def number(value: float) -> str:
    if value != value:  # NaN
        return "failed"
    return f"{value:.6g}"
