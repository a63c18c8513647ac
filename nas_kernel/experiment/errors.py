"""What goes wrong with an experiment, as the CLI reports it.

A mistake in the experiment (a file, a ``--set``, a parameter) is a ``ConfigError``: one line
naming the file and the key, ``nas search`` exit 2. A factory that crashes on good parameters is
a ``ComponentBuildError``: the plugin's bug, exit 1 with its traceback kept.
"""
from __future__ import annotations

from typing import Any, Optional

__all__ = ["ComponentBuildError", "ConfigError", "USER_ERRORS", "describe"]

#: what a factory raises to refuse its parameters (a user's mistake: exit 2): ``ValueError`` from the
#: parameter checks (``nas_kernel.toolbox.params``), ``FileNotFoundError`` for a path the experiment names
USER_ERRORS = (ValueError, FileNotFoundError)


class ConfigError(Exception):
    """A bad experiment: ``str()`` is the one-line message the user sees (``nas search`` exit 2)."""

    def __init__(self, message: str, *, source: str = "", key: str = "") -> None:
        self.source, self.key, self.detail = source, key, message
        where = ": ".join(p for p in (source, f"key '{key}'" if key else "") if p)
        super().__init__(f"{where}: {message}" if where else message)


class ComponentBuildError(Exception):
    """A plugin's factory raised something other than a refusal of its parameters: a bug in the
    plugin, not a mistake in the experiment (``nas search`` exit 1, the plugin named, the traceback
    kept: the factory's exception is ``__cause__``)."""

    def __init__(self, message: str, *, kind: str, name: str, plugin: str, source: str = "", key: str = "",
                 output_dir: Optional[str] = None) -> None:
        self.kind, self.name, self.plugin, self.source, self.key = kind, name, plugin, source, key
        self.output_dir = output_dir  # where the run's error log goes
        super().__init__(message)


def describe(value: Any) -> str:
    """A value's kind in the experiment's words, for the "got ..." half of a message."""
    if value is None:
        return "nothing (null)"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)
