"""The Pareto front as text tables (Markdown for TensorBoard's text tab, CSV as a file)."""
from __future__ import annotations

import csv
import io
from typing import Any, Dict, List


def columns(rows: List[Dict[str, Any]]) -> List[str]:
    names: List[str] = []
    for row in rows:
        names += [k for k in row if k not in names]
    return names


def _text(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def markdown(rows: List[Dict[str, Any]]) -> str:
    names = columns(rows)
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join(_text(row.get(n, "")) for n in names) + " |" for row in rows]
    return "\n".join(lines)


def csv_text(rows: List[Dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns(rows), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
