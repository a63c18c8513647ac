"""A sampled configuration as the model factory sees it: ``config.pick(name)`` reads a value and
records that the parameter was used, so parameters the factory never reads do not change the
archid (two configs differing only in unused parameters are the same architecture)."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Dict, Iterator, List, Optional, Set, Union

from nas_kernel.api.overridable import OpenOverrides


class Raw:
    """Marks a choice value that is a mapping, so it is returned as is rather than as a sub-config."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


class ArchConfig(OpenOverrides):
    """A (nested) configuration with usage tracking.

    ``ArchConfig({"a": 1, "sub": {"b": 2}})`` works as in Archai: nested mappings are sub-configs.
    """

    def __init__(self, config_dict: Dict[str, Any], *, _path: str = "", _usage: Optional[Set[str]] = None) -> None:
        self._path = _path
        self._used: Set[str] = set() if _usage is None else _usage
        self._config: Dict[str, Any] = {}
        for key, value in config_dict.items():
            if isinstance(value, dict):
                value = ArchConfig(value, _path=_join(_path, key), _usage=self._used)
            self._config[key] = value

    def pick(self, param_name: str, default: Any = None, record_usage: bool = True) -> Any:
        """The value of ``param_name``; a sub-tree comes back as an ``ArchConfig``, a repeated
        block as an ``ArchConfigList``. Marks the parameter used unless ``record_usage`` is False.
        A missing name returns ``default``, or raises ``ValueError`` when there is none (Archai's
        rule: ``default=None`` means the parameter is required)."""
        if param_name not in self._config:
            if default is not None:
                return default
            raise ValueError(f"no parameter {param_name!r} at {self._path or 'the top level'} and no "
                             f"default given; known: {sorted(self._config)}")
        value = self._config[param_name]
        if isinstance(value, ArchConfig):
            return value
        if record_usage:
            self._used.add(_join(self._path, param_name))
        return value.value if isinstance(value, Raw) else value

    def __contains__(self, name: str) -> bool:
        return name in self._config

    def get_used_params(self) -> "OrderedDict[str, Union[bool, dict]]":
        """Archai's usage tree: every parameter of this config mapped to whether ``pick`` read
        it; a sub-config maps to its own tree, a repeated block to Archai's list shape
        (``{"_config_type": False, "_configs": {"0": tree, ...}, "_repeat_times": used}``)."""
        used: "OrderedDict[str, Union[bool, dict]]" = OrderedDict()
        for key, value in self._config.items():
            if isinstance(value, ArchConfig):
                used[key] = value.get_used_params()
            elif isinstance(value, ArchConfigList):
                used[key] = OrderedDict([
                    ("_config_type", False),
                    ("_configs", OrderedDict((str(i), c.get_used_params()) for i, c in enumerate(value))),
                    ("_repeat_times", _join(self._path, key) in self._used),
                ])
            else:
                used[key] = _join(self._path, key) in self._used
        return used

    def used_param_paths(self) -> List[str]:
        """Dotted paths of every parameter read so far (in the whole configuration)."""
        return sorted(self._used)

    def to_dict(self) -> Dict[str, Any]:
        """Plain nested values (repeated blocks as lists of mappings)."""
        out = {}
        for key, value in self._config.items():
            if isinstance(value, (ArchConfig, ArchConfigList)):
                out[key] = value.to_dict()
            else:
                out[key] = value.value if isinstance(value, Raw) else value
        return out

    def __repr__(self) -> str:
        return f"ArchConfig({self.to_dict()!r})"


class ArchConfigList(OpenOverrides):
    """The blocks of a ``repeat_config`` parameter: ``len()`` is the sampled repeat count."""

    def __init__(self, configs: List[ArchConfig]) -> None:
        self._configs = configs

    def __len__(self) -> int:
        return len(self._configs)

    def __getitem__(self, index: int) -> ArchConfig:
        return self._configs[index]

    def __iter__(self) -> Iterator[ArchConfig]:
        return iter(self._configs)

    def pick(self, param_name: str, default: Any = None, record_usage: bool = True) -> List[Any]:
        """``param_name`` of every block."""
        return [c.pick(param_name, default, record_usage) for c in self._configs]

    def to_dict(self) -> List[Dict[str, Any]]:
        return [c.to_dict() for c in self._configs]

    def __repr__(self) -> str:
        return f"ArchConfigList({self.to_dict()!r})"
