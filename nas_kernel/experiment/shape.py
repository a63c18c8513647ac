"""The shape of a plain experiment: its keys, their types, the defaults filled in.

Components are only checked to be ``{name, params}`` here; whether a name is registered and
its parameters fit the factory is the builder's job (``component_builder``). The objective and
constraint rules shared with the Python API are ``nas_kernel.api.objective_rules``: broken ones
come back as a ``ConfigError`` naming the key.
"""
from __future__ import annotations

import copy
import os
from typing import Any, Dict, Optional

from nas_kernel.api.objective_rules import (ObjectiveRuleError, check_constraint_is_cheap, check_constraint_range,
                                            check_objective_name)
from nas_kernel.experiment.errors import ConfigError, describe
from nas_kernel.experiment.yaml_file import experiment_folder

__all__ = ["COMPONENT_KEYS", "check_component_shape", "validate"]

TOP_KEYS = {"seed", "output_dir", "base_dir", "search_space", "objectives", "constraints", "searcher", "max_failures",
            "description", "trackers"}
OBJECTIVE_KEYS = {"name", "higher_is_better", "compute_intensive", "evaluator", "constraint"}
CONSTRAINT_KEYS = {"name", "evaluator", "constraint"}
COMPONENT_KEYS = {"name", "params"}


def validate(raw: Dict[str, Any], source: str, *, seed: Optional[int] = None,
             output_dir: Optional[str] = None) -> Dict[str, Any]:
    """Check the experiment's shape (not yet its components) and fill defaults; ``seed`` and
    ``output_dir`` (the command line's) win over the file's."""
    spec = copy.deepcopy(raw)
    _no_unknown(spec, TOP_KEYS, "", source)
    if seed is not None:
        spec["seed"] = seed
    spec.setdefault("seed", 1)
    spec["seed"] = _int(spec["seed"], "seed", source, minimum=0)
    if output_dir is not None:
        spec["output_dir"] = output_dir
    if "output_dir" not in spec:
        raise ConfigError("missing; where the search writes its store and exports (or pass -o DIR)",
                          source=source, key="output_dir")
    if not isinstance(spec["output_dir"], str) or not spec["output_dir"].strip():
        raise ConfigError(f"must be a directory path, got {describe(spec['output_dir'])}", source=source,
                          key="output_dir")
    base_dir = spec.get("base_dir", ".")  # saved experiments carry it, so a rebuilt run reads the same files
    if not isinstance(base_dir, str) or not base_dir.strip():
        raise ConfigError(f"must be a directory path, got {describe(base_dir)}", source=source, key="base_dir")
    spec["base_dir"] = os.path.normpath(os.path.join(experiment_folder(source), os.path.expanduser(base_dir)))
    if "description" in spec and not isinstance(spec["description"], str):
        raise ConfigError("must be text", source=source, key="description")
    if spec.get("max_failures") is not None:
        spec["max_failures"] = _int(spec["max_failures"], "max_failures", source, minimum=0)
    for key in ("search_space", "searcher"):
        if key not in spec:
            raise ConfigError("missing; expected {name: ..., params: {...}}", source=source, key=key)
        check_component_shape(spec[key], key, source)
    objectives = spec.get("objectives")
    if objectives is None:
        raise ConfigError("missing; expected a list of objectives", source=source, key="objectives")
    if not isinstance(objectives, list) or not objectives:
        raise ConfigError(f"expected a non-empty list of objectives, got {describe(objectives)}", source=source,
                          key="objectives")
    names: Dict[str, str] = {}  # name -> the key that declared it
    for i, obj in enumerate(objectives):
        key = f"objectives[{i}]"
        _entry_shape(obj, key, source, OBJECTIVE_KEYS, names)
        if "higher_is_better" not in obj:
            raise ConfigError("missing; true or false", source=source, key=f"{key}.higher_is_better")
        for flag in ("higher_is_better", "compute_intensive"):
            if flag in obj and not isinstance(obj[flag], bool):
                raise ConfigError(f"must be true or false, got {obj[flag]!r}", source=source, key=f"{key}.{flag}")
        _rule(check_constraint_is_cheap, key, source, obj.get("constraint"), obj.get("compute_intensive", True))
    constraints = spec.get("constraints") or []
    if not isinstance(constraints, list):
        raise ConfigError(f"expected a list, got {describe(constraints)}", source=source, key="constraints")
    for i, con in enumerate(constraints):
        _entry_shape(con, f"constraints[{i}]", source, CONSTRAINT_KEYS, names, constraint_required=True)
    spec["constraints"] = constraints
    trackers = spec.get("trackers") or []
    if not isinstance(trackers, list):
        raise ConfigError(f"expected a list of {{name: ..., params: {{...}}}}, got {describe(trackers)}",
                          source=source, key="trackers")
    for i, tracker in enumerate(trackers):
        check_component_shape(tracker, f"trackers[{i}]", source)
    return spec


def _entry_shape(entry: Any, key: str, source: str, allowed: set, names: Dict[str, str], *,
                 constraint_required: bool = False) -> None:
    """An objective's or constraint's keys, name, evaluator and range; its name joins ``names``."""
    if not isinstance(entry, dict):
        raise ConfigError(f"expected a mapping, got {describe(entry)}", source=source, key=key)
    _no_unknown(entry, allowed, key, source)
    _rule(check_objective_name, key, source, entry.get("name"), names)
    if "evaluator" not in entry:
        raise ConfigError("missing; expected {name: ..., params: {...}}", source=source, key=f"{key}.evaluator")
    check_component_shape(entry["evaluator"], f"{key}.evaluator", source)
    _rule(check_constraint_range, key, source, entry.get("constraint"), required=constraint_required)
    names[entry["name"]] = key


def _rule(check: Any, key: str, source: str, *args: Any, **kwargs: Any) -> None:
    """Run one of the API's declaration rules; its refusal names the field's key."""
    try:
        check(*args, **kwargs)
    except ObjectiveRuleError as exc:
        raise ConfigError(str(exc), source=source, key=f"{key}.{exc.field}") from None


def check_component_shape(comp: Any, key: str, source: str) -> None:
    """``comp`` is ``{name: <text>, params: {...}}`` (``params`` optional)."""
    if isinstance(comp, str):
        raise ConfigError(f"expected {{name: {comp}, params: {{...}}}}, got the text {comp!r}", source=source, key=key)
    if not isinstance(comp, dict):
        raise ConfigError(f"expected {{name: ..., params: {{...}}}}, got {describe(comp)}", source=source, key=key)
    _no_unknown(comp, COMPONENT_KEYS, key, source)
    if not isinstance(comp.get("name"), str) or not comp["name"]:
        raise ConfigError("missing or not text; the component's registered name", source=source, key=f"{key}.name")
    params = comp.get("params")
    if params is not None and not isinstance(params, dict):
        raise ConfigError(f"expected a mapping of parameters, got {describe(params)}", source=source,
                          key=f"{key}.params")


def _no_unknown(mapping: Dict[str, Any], allowed: set, key: str, source: str) -> None:
    for k in mapping:
        if k not in allowed:
            where = f"{key}.{k}" if key else str(k)
            raise ConfigError(f"unknown key; expected one of: {', '.join(sorted(allowed))}", source=source, key=where)


def _int(value: Any, key: str, source: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"expected a whole number, got {value!r}", source=source, key=key)
    if value < minimum or value > 2**63 - 1:
        raise ConfigError(f"expected a whole number from {minimum} to 2**63-1, got {value}", source=source, key=key)
    return value
