"""``--set KEY=VALUE``: dotted, indexed keys (``searcher.params.num_iters``, ``objectives[1].name``)
assigned on the plain experiment before its shape is checked, values parsed as YAML scalars/lists."""
from __future__ import annotations

import copy
from typing import Any, Dict, List, Sequence

from nas_kernel.experiment.errors import ConfigError

__all__ = ["apply_overrides"]


def apply_overrides(raw: Dict[str, Any], assignments: Sequence[str], source: str) -> Dict[str, Any]:
    """``raw`` with the ``--set a.b[0].c=value`` ``assignments`` applied (``raw`` is not modified)."""
    import yaml

    raw = copy.deepcopy(raw)
    for text in assignments:
        if "=" not in text:
            raise ConfigError(f"--set expects KEY=VALUE, got {text!r}", source="--set")
        key, value_text = text.split("=", 1)
        try:
            value = yaml.safe_load(value_text) if value_text.strip() else ""
        except yaml.YAMLError:
            value = value_text
        parts = _split_key(key.strip())
        if not parts:
            raise ConfigError(f"--set expects KEY=VALUE, got {text!r}", source="--set")
        node: Any = raw
        for i, part in enumerate(parts[:-1]):
            nxt = parts[i + 1]
            if isinstance(node, dict):
                if part not in node or node[part] is None:
                    node[part] = [] if isinstance(nxt, int) else {}
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                raise ConfigError(f"cannot set {key!r}: {_path(parts[:i + 1])} is not a mapping or has no such item",
                                  source="--set", key=key)
        last = parts[-1]
        if isinstance(node, dict) and not isinstance(last, int):
            node[last] = value
        elif isinstance(node, list) and isinstance(last, int) and last < len(node):
            node[last] = value
        else:
            raise ConfigError(f"cannot set {key!r}", source="--set", key=key)
    return raw


def _split_key(key: str) -> List[Any]:
    parts: List[Any] = []
    for chunk in key.split("."):
        while "[" in chunk and chunk.endswith("]"):
            head, _, idx = chunk.partition("[")
            if head:
                parts.append(head)
            inner, _, rest = idx.partition("]")
            if not inner.isdigit():
                return []
            parts.append(int(inner))
            chunk = rest
        if chunk:
            parts.append(chunk)
    return parts


def _path(parts: Sequence[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out
