"""The declarative space itself: a nested mapping of constants, ``DiscreteChoice`` parameters and
``repeat_config`` blocks. The tree numbers its free parameters (each distinct ``DiscreteChoice``
object once, in depth-first order) so a configuration is just one option index per parameter."""
from __future__ import annotations

import copy
import math
from typing import Any, Dict, List, Sequence, Tuple, Union

from nas_kernel.api.overridable import OpenOverrides

from nas_search_spaces.config.arch_config import ArchConfig, ArchConfigList, Raw, _join
from nas_search_spaces.config.choice import DiscreteChoice


class RepeatedConfig:
    """A block repeated a sampled number of times (built by ``repeat_config``)."""

    def __init__(self, config_tree: Dict[str, Any], repeat_times: Union[int, Sequence[int]],
                 share_arch: bool = False) -> None:
        if isinstance(repeat_times, int) and not isinstance(repeat_times, bool):
            repeat_times = [repeat_times]
        times = list(repeat_times)
        if not times or any(isinstance(t, bool) or not isinstance(t, int) or t < 0 for t in times):
            raise ValueError(f"repeat_times must be a non-negative int or a list of them, got {repeat_times!r}")
        if not isinstance(config_tree, dict):
            raise ValueError(f"repeat_config needs a mapping (the block's tree), got {type(config_tree).__name__}")
        self.times = DiscreteChoice(times) if len(times) > 1 else times[0]
        self.share_arch = bool(share_arch)
        count = max(times)
        self.configs = [config_tree if share_arch else copy.deepcopy(config_tree) for _ in range(count)]


def repeat_config(config_tree: Dict[str, Any], repeat_times: Union[int, Sequence[int]], share_arch: bool = False):
    """A block of parameters used ``repeat_times`` times (one value, or a list to choose from).

    With ``share_arch`` every repetition uses the same choices (tied parameters); otherwise each
    repetition has its own copy of the block's parameters.
    """
    return RepeatedConfig(config_tree, repeat_times, share_arch)


class ArchParamTree(OpenOverrides):
    """A tree of architecture parameters.

    Attributes:
        params: ``[(name, DiscreteChoice)]`` of the free parameters; a parameter's name is the
            dotted path of its first occurrence (e.g. ``blocks.1.kernel_size``).
    """

    def __init__(self, config_tree: Dict[str, Any]) -> None:
        if not isinstance(config_tree, dict):
            raise ValueError(f"arch_param_tree must be a mapping, got {type(config_tree).__name__}")
        self.config_tree = config_tree
        self.params: List[Tuple[str, DiscreteChoice]] = []
        self._index: Dict[int, int] = {}  # id(DiscreteChoice) -> parameter number
        self.param_of_path: Dict[str, int] = {}
        self._walk(config_tree, "")
        self.param_names = [name for name, _ in self.params]

    def _register(self, choice: DiscreteChoice, path: str) -> None:
        if id(choice) not in self._index:
            self._index[id(choice)] = len(self.params)
            self.params.append((path, choice))
        self.param_of_path[path] = self._index[id(choice)]

    def _walk(self, node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str) or not key or "." in key:
                    raise ValueError(f"tree keys must be non-empty text without '.', got {key!r} at {path or 'top'}")
                self._walk(value, _join(path, key))
        elif isinstance(node, DiscreteChoice):
            self._register(node, path)
        elif isinstance(node, RepeatedConfig):
            if isinstance(node.times, DiscreteChoice):
                self._register(node.times, path)
            for i, sub in enumerate(node.configs):
                self._walk(sub, _join(path, i))

    # ---- configurations ----------------------------------------------------------------------
    @property
    def num_archs(self) -> int:
        """Number of option combinations (an upper bound on distinct architectures)."""
        return math.prod(len(c) for _, c in self.params)

    def sample_choices(self, rng) -> List[int]:
        """One option index per free parameter."""
        return [choice.sample_index(rng) for _, choice in self.params]

    def check_choices(self, choices: Sequence[int]) -> List[int]:
        if len(choices) != len(self.params):
            raise ValueError(f"expected {len(self.params)} option indices, got {len(choices)}")
        for (name, choice), idx in zip(self.params, choices):
            if isinstance(idx, bool) or not isinstance(idx, int) or not 0 <= idx < len(choice):
                raise ValueError(f"parameter {name!r}: option index {idx!r} outside 0..{len(choice) - 1}")
        return list(choices)

    def to_config(self, choices: Sequence[int]) -> ArchConfig:
        """The ``ArchConfig`` for these option indices (fresh usage record)."""
        usage: set = set()
        return self._resolve(self.config_tree, "", choices, usage)

    def sample_config(self, rng) -> ArchConfig:
        """Archai's name: a random configuration."""
        return self.to_config(self.sample_choices(rng))

    def _value(self, node: Any, choices: Sequence[int]) -> Any:
        return node[choices[self._index[id(node)]]] if isinstance(node, DiscreteChoice) else node

    def _resolve(self, node: Dict[str, Any], path: str, choices: Sequence[int], usage: set) -> ArchConfig:
        config = ArchConfig({}, _path=path, _usage=usage)
        for key, value in node.items():
            sub = _join(path, key)
            if isinstance(value, dict):
                config._config[key] = self._resolve(value, sub, choices, usage)
            elif isinstance(value, RepeatedConfig):
                times = self._value(value.times, choices)
                config._config[key] = ArchConfigList(
                    [self._resolve(c, _join(sub, i), choices, usage) for i, c in enumerate(value.configs[:times])])
            else:
                resolved = self._value(value, choices)
                config._config[key] = Raw(resolved) if isinstance(resolved, dict) else resolved
        return config

    def used_params(self, config: ArchConfig) -> List[int]:
        """Numbers of the free parameters the factory read from ``config``."""
        return sorted({self.param_of_path[p] for p in config.used_param_paths() if p in self.param_of_path})

    def encode_choices(self, choices: Sequence[int], used: Sequence[int], unused_value: float = -1.0) -> List[float]:
        """Per free parameter its encoding, or ``unused_value`` slots if it was not used."""
        used_set = set(used)
        out: List[float] = []
        for number, ((_, choice), idx) in enumerate(zip(self.params, choices)):
            out += choice.encode(idx) if number in used_set else [float(unused_value)] * choice.encoded_length
        return out
