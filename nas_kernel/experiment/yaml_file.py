"""The experiment file on disk: read safely (or the embedded default), and saved into a run.

Reading stops at a plain mapping: overrides, the shape check and building come after
(``nas_kernel.experiment.reader`` puts them together).
"""
from __future__ import annotations

import os
from typing import Any, Dict, Optional, Tuple

from nas_kernel.experiment.errors import ConfigError, describe
from nas_kernel.run_files import SAVED_EXPERIMENT

__all__ = ["DEFAULT_NAME", "default_experiment_text", "experiment_folder", "parse_yaml", "read_experiment",
           "save_experiment"]

DEFAULT_NAME = "<embedded default experiment>"


def default_experiment_text() -> str:
    from importlib import resources  # only the embedded default needs it (and it costs tempfile, shutil)

    return resources.files("nas_kernel").joinpath("default_experiment.yaml").read_text(encoding="utf-8")


def read_experiment(path: Optional[str]) -> Tuple[Dict[str, Any], str]:
    """Parse an experiment file (or the embedded default when ``path`` is None) safely."""
    if path is None:
        return parse_yaml(default_experiment_text(), DEFAULT_NAME), DEFAULT_NAME
    if not os.path.exists(path):
        raise ConfigError("no such file", source=path)
    if os.path.isdir(path):
        raise ConfigError("is a directory, expected an experiment YAML file", source=path)
    try:
        with open(path, "r", encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", source=path) from None
    return parse_yaml(text, path), path


def parse_yaml(text: str, source: str) -> Dict[str, Any]:
    import yaml

    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"invalid YAML{where}: {problem}", source=source) from None
    except RecursionError:
        raise ConfigError("invalid YAML: nested too deeply", source=source) from None
    if not isinstance(raw, dict):
        raise ConfigError(f"an experiment file is a mapping of keys, got {describe(raw)}", source=source)
    return raw


def experiment_folder(source: str) -> str:
    """The absolute folder of the experiment file ``source`` (the working directory for the
    embedded default or a component built from code)."""
    if source and os.path.isfile(source):
        return os.path.dirname(os.path.abspath(source))
    return os.getcwd()


def save_experiment(experiment: Any) -> str:
    """Write the validated experiment into its run (``SAVED_EXPERIMENT``): ``--resume`` and
    ``load_run`` read it back through the same reader."""
    import yaml

    os.makedirs(experiment.output_dir, exist_ok=True)
    path = os.path.join(experiment.output_dir, SAVED_EXPERIMENT)
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(experiment.spec, f, sort_keys=False)
    return path
