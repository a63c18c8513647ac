"""Reading a parameter tree written as plain data (the experiment file).

* a list is a choice among its items: ``kernel_size: [3, 5, 7]``;
* a mapping with a ``choices`` key (and optionally ``probabilities``, ``encode_strategy``,
  ``tie``) is a choice with options; every choice with the same ``tie`` text is one parameter;
* a mapping with a ``repeat`` key (and ``times``, optionally ``share_arch``) is a repeated block;
* any other mapping is a sub-tree; anything else is a constant. A constant list is written as a
  single option: ``{choices: [[1, 2]]}``.
"""
from __future__ import annotations

from typing import Any, Dict

from nas_search_spaces.config.choice import DiscreteChoice
from nas_search_spaces.config.tree import RepeatedConfig

CHOICE_KEYS = {"choices", "probabilities", "encode_strategy", "tie"}
REPEAT_KEYS = {"repeat", "times", "share_arch"}


def tree_from_data(data: Dict[str, Any]) -> Dict[str, Any]:
    """Turn plain YAML/JSON data into a tree of ``DiscreteChoice`` / ``repeat_config`` nodes."""
    if not isinstance(data, dict):
        raise ValueError(f"arch_param_tree must be a mapping, got {type(data).__name__}")
    return _convert(data, "arch_param_tree", {})


def _convert(node: Any, where: str, ties: Dict[str, DiscreteChoice]) -> Any:
    if isinstance(node, list):
        return DiscreteChoice(node)
    if not isinstance(node, dict):
        return node
    if "choices" in node and set(node) <= CHOICE_KEYS:
        tie = node.get("tie")
        options = dict(node)
        options.pop("tie", None)
        if tie is not None:
            if tie in ties:
                if ties[tie].choices != list(options["choices"]):
                    raise ValueError(f"{where}: tie {tie!r} is used with different choices")
                return ties[tie]
            ties[tie] = DiscreteChoice(**options)
            return ties[tie]
        return DiscreteChoice(**options)
    if "repeat" in node:
        unknown = set(node) - REPEAT_KEYS
        if unknown or "times" not in node:
            raise ValueError(f"{where}: a repeated block takes keys repeat, times, share_arch; got {sorted(node)}")
        return RepeatedConfig(_convert(node["repeat"], f"{where}.repeat", ties), node["times"],
                              node.get("share_arch", False))
    return {key: _convert(value, f"{where}.{key}", ties) for key, value in node.items()}
