"""Experiment file -> validated spec -> built components.

Every mistake becomes one ``ConfigError`` naming the file, the key and what was expected
(the CLI turns it into exit code 2). Components are ``{name: ..., params: {...}}`` mappings
looked up in the plugin registries; a mapping with a ``name`` key inside ``params`` is a
component too and is built first (an evaluator's dataset, a searcher's predictor). Parameters
are checked against the factory's signature before anything is built or written.
"""
from __future__ import annotations

import copy
import hashlib
import inspect
import json
import os
import typing
from dataclasses import dataclass
from importlib import resources
from typing import Any, Dict, List, Optional, Sequence, Tuple

from nas_kernel.kinds import BY_KEY, KINDS, kinds_for_type, label
from nas_kernel.plugins import NasPluginManager
from nas_kernel.plugins_in_use import using_plugins
from nas_kernel.registry import ComponentError, factory_parameters

DEFAULT_NAME = "<embedded default experiment>"
TOP_KEYS = {"seed", "output_dir", "base_dir", "search_space", "objectives", "constraints", "searcher", "max_failures",
            "description", "trackers"}
OBJECTIVE_KEYS = {"name", "higher_is_better", "compute_intensive", "evaluator", "constraint"}
CONSTRAINT_KEYS = {"name", "evaluator", "constraint"}
COMPONENT_KEYS = {"name", "params"}


class ConfigError(Exception):
    """A bad experiment: ``str()`` is the one-line message the user sees (``nas search`` exit 2)."""

    def __init__(self, message: str, *, source: str = "", key: str = "") -> None:
        self.source, self.key, self.detail = source, key, message
        where = ": ".join(p for p in (source, f"key '{key}'" if key else "") if p)
        super().__init__(f"{where}: {message}" if where else message)


@dataclass
class Experiment:
    """Everything a search needs, built."""

    spec: Dict[str, Any]
    source: str
    search_space: Any
    objectives: Any
    searcher: Any
    manager: Any = None
    #: ``(label, Tracker)`` per entry of ``trackers:``; ``run_context`` puts them on the hooks
    trackers: Sequence[Tuple[str, Any]] = ()

    @property
    def output_dir(self) -> str:
        return self.spec["output_dir"]

    def run_context(self, **settings: Any):
        """The ``RunContext`` of a run of this experiment: its plugin manager, fingerprint and
        ``max_failures``, plus the caller's ``settings`` (resume, progress, earlier_run, on_open)."""
        from nas_kernel.run_context import RunContext
        from nas_kernel._tracking import attach_trackers

        attach_trackers(self.manager, self.trackers)
        budget = tuple(getattr(self.searcher, "budget_params", ()))
        return RunContext(plugin_manager=self.manager, fingerprint=fingerprint(self.spec, budget),
                          experiment=identity(self.spec, budget),
                          max_failures=self.spec.get("max_failures"), **settings)


# ---- reading ---------------------------------------------------------------------------------
def default_experiment_text() -> str:
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
        raise ConfigError(f"an experiment file is a mapping of keys, got {_kind_of(raw)}", source=source)
    return raw


def apply_overrides(raw: Dict[str, Any], assignments: Sequence[str], source: str) -> Dict[str, Any]:
    """Apply ``--set a.b[0].c=value`` assignments; values are parsed as YAML scalars/lists."""
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


# ---- validating ------------------------------------------------------------------------------
def validate(raw: Dict[str, Any], source: str, *, seed: Optional[int] = None,
             output_dir: Optional[str] = None) -> Dict[str, Any]:
    """Check the experiment's shape (not yet its components) and fill defaults."""
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
        raise ConfigError(f"must be a directory path, got {_kind_of(spec['output_dir'])}", source=source, key="output_dir")
    base_dir = spec.get("base_dir", ".")  # saved experiments carry it, so a rebuilt run reads the same files
    if not isinstance(base_dir, str) or not base_dir.strip():
        raise ConfigError(f"must be a directory path, got {_kind_of(base_dir)}", source=source, key="base_dir")
    spec["base_dir"] = os.path.normpath(os.path.join(experiment_folder(source), os.path.expanduser(base_dir)))
    if "description" in spec and not isinstance(spec["description"], str):
        raise ConfigError("must be text", source=source, key="description")
    if spec.get("max_failures") is not None:
        spec["max_failures"] = _int(spec["max_failures"], "max_failures", source, minimum=0)
    for key in ("search_space", "searcher"):
        if key not in spec:
            raise ConfigError("missing; expected {name: ..., params: {...}}", source=source, key=key)
        _component_shape(spec[key], key, source)
    objectives = spec.get("objectives")
    if objectives is None:
        raise ConfigError("missing; expected a list of objectives", source=source, key="objectives")
    if not isinstance(objectives, list) or not objectives:
        raise ConfigError(f"expected a non-empty list of objectives, got {_kind_of(objectives)}", source=source,
                          key="objectives")
    names: Dict[str, str] = {}
    for i, obj in enumerate(objectives):
        key = f"objectives[{i}]"
        _objective_shape(obj, key, source, OBJECTIVE_KEYS)
        if "higher_is_better" not in obj:
            raise ConfigError("missing; true or false", source=source, key=f"{key}.higher_is_better")
        for flag in ("higher_is_better", "compute_intensive"):
            if flag in obj and not isinstance(obj[flag], bool):
                raise ConfigError(f"must be true or false, got {obj[flag]!r}", source=source, key=f"{key}.{flag}")
        if obj.get("constraint") is not None and obj.get("compute_intensive", True):
            raise ConfigError("a constraint needs compute_intensive: false (constraints are checked before "
                              "expensive evaluations)", source=source, key=f"{key}.constraint")
        _unique(obj["name"], names, key, source)
    constraints = spec.get("constraints") or []
    if not isinstance(constraints, list):
        raise ConfigError(f"expected a list, got {_kind_of(constraints)}", source=source, key="constraints")
    for i, con in enumerate(constraints):
        key = f"constraints[{i}]"
        _objective_shape(con, key, source, CONSTRAINT_KEYS)
        if con.get("constraint") is None:
            raise ConfigError("missing; expected [low, high]", source=source, key=f"{key}.constraint")
        _unique(con["name"], names, key, source)
    spec["constraints"] = constraints
    trackers = spec.get("trackers") or []
    if not isinstance(trackers, list):
        raise ConfigError(f"expected a list of {{name: ..., params: {{...}}}}, got {_kind_of(trackers)}",
                          source=source, key="trackers")
    for i, tracker in enumerate(trackers):
        _component_shape(tracker, f"trackers[{i}]", source)
    return spec


def _objective_shape(obj: Any, key: str, source: str, allowed: set) -> None:
    if not isinstance(obj, dict):
        raise ConfigError(f"expected a mapping, got {_kind_of(obj)}", source=source, key=key)
    _no_unknown(obj, allowed, key, source)
    if not isinstance(obj.get("name"), str) or not obj["name"]:
        raise ConfigError("missing or not text; the objective's name", source=source, key=f"{key}.name")
    if "evaluator" not in obj:
        raise ConfigError("missing; expected {name: ..., params: {...}}", source=source, key=f"{key}.evaluator")
    _component_shape(obj["evaluator"], f"{key}.evaluator", source)
    if obj.get("constraint") is not None:
        con = obj["constraint"]
        ok = isinstance(con, list) and len(con) == 2 and all(_is_number(v) for v in con)
        if not ok:
            raise ConfigError(f"expected [low, high] numbers, got {con!r}", source=source, key=f"{key}.constraint")
        if any(v != v for v in con):  # NaN compares unequal to itself
            raise ConfigError(f"bounds must be numbers, got {con!r} (NaN)", source=source, key=f"{key}.constraint")
        if con[0] > con[1]:
            raise ConfigError(f"low {con[0]} is above high {con[1]}", source=source, key=f"{key}.constraint")


def _component_shape(comp: Any, key: str, source: str) -> None:
    if isinstance(comp, str):
        raise ConfigError(f"expected {{name: {comp}, params: {{...}}}}, got the text {comp!r}", source=source, key=key)
    if not isinstance(comp, dict):
        raise ConfigError(f"expected {{name: ..., params: {{...}}}}, got {_kind_of(comp)}", source=source, key=key)
    _no_unknown(comp, COMPONENT_KEYS, key, source)
    if not isinstance(comp.get("name"), str) or not comp["name"]:
        raise ConfigError("missing or not text; the component's registered name", source=source, key=f"{key}.name")
    params = comp.get("params")
    if params is not None and not isinstance(params, dict):
        raise ConfigError(f"expected a mapping of parameters, got {_kind_of(params)}", source=source, key=f"{key}.params")


def _no_unknown(mapping: Dict[str, Any], allowed: set, key: str, source: str) -> None:
    for k in mapping:
        if k not in allowed:
            where = f"{key}.{k}" if key else str(k)
            raise ConfigError(f"unknown key; expected one of: {', '.join(sorted(allowed))}", source=source, key=where)


def _unique(name: str, seen: Dict[str, str], key: str, source: str) -> None:
    from nas_kernel.api.columns import RESERVED_COLUMNS

    if name in RESERVED_COLUMNS:
        raise ConfigError(f"{name!r} is a column the results table uses itself; choose another name "
                          f"(reserved: {', '.join(RESERVED_COLUMNS)})", source=source, key=f"{key}.name")
    if name in seen:
        raise ConfigError(f"name {name!r} is already used by {seen[name]}", source=source, key=f"{key}.name")
    seen[name] = key


def _int(value: Any, key: str, source: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"expected a whole number, got {value!r}", source=source, key=key)
    if value < minimum or value > 2**63 - 1:
        raise ConfigError(f"expected a whole number from {minimum} to 2**63-1, got {value}", source=source, key=key)
    return value


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)


def identity(spec: Dict[str, Any], budget: Sequence[str] = ()) -> Dict[str, Any]:
    """What must not change for ``--resume`` to continue a run: the searcher's budget-only
    settings (``budget``, e.g. ``num_iters``: a finished search continues with a larger one, as an
    Optuna study does) are left out, and so are where the run is written and read from, and the
    trackers (they watch a search without changing it: one may be added on ``--resume``)."""
    material = {k: v for k, v in spec.items() if k not in ("output_dir", "base_dir", "trackers")}
    searcher = material.get("searcher")
    if budget and isinstance(searcher, dict) and isinstance(searcher.get("params"), dict):
        params = {k: v for k, v in searcher["params"].items() if k not in budget}
        material["searcher"] = {**searcher, "params": params}
    return material


def fingerprint(spec: Dict[str, Any], budget: Sequence[str] = ()) -> str:
    """A hash of ``identity(spec, budget)``: what the store keeps to recognise its experiment."""
    return hashlib.sha256(json.dumps(identity(spec, budget), sort_keys=True, default=str).encode()).hexdigest()


# ---- building --------------------------------------------------------------------------------
def build_experiment(spec: Dict[str, Any], source: str, manager: NasPluginManager) -> Experiment:
    """Build search space, objectives and searcher from a validated spec."""
    from nas_kernel.api.objectives import SearchObjectives

    builder = ComponentBuilder(manager, source, spec["seed"], base_dir=spec.get("base_dir"),
                               output_dir=spec["output_dir"])
    # evaluators first: the space takes the sizes its experiment leaves out from their data
    evaluators = [builder.component("evaluators", obj["evaluator"], f"objectives[{i}].evaluator")
                  for i, obj in enumerate(spec["objectives"])]
    space = builder.component("search_spaces", spec["search_space"], "search_space",
                              from_data=_data_sizes(evaluators, source))
    objectives = SearchObjectives()
    for obj, evaluator in zip(spec["objectives"], evaluators):
        constraint = tuple(obj["constraint"]) if obj.get("constraint") is not None else None
        objectives.add_objective(obj["name"], evaluator, higher_is_better=obj["higher_is_better"],
                                 compute_intensive=obj.get("compute_intensive", True), constraint=constraint)
    for i, con in enumerate(spec.get("constraints") or []):
        evaluator = builder.component("evaluators", con["evaluator"], f"constraints[{i}].evaluator")
        objectives.add_constraint(con["name"], evaluator, tuple(con["constraint"]))
    searcher = builder.component("searchers", spec["searcher"], "searcher",
                                 leading=(space, objectives, spec["output_dir"]))
    from nas_kernel._tracking import labels_for

    built = [builder.component("trackers", t, f"trackers[{i}]") for i, t in enumerate(spec.get("trackers") or [])]
    trackers = list(zip(labels_for([t["name"] for t in spec.get("trackers") or []]), built))
    return Experiment(spec, source, space, objectives, searcher, manager, trackers)


def _data_sizes(evaluators: Sequence[Any], source: str) -> Dict[str, Any]:
    """The sizes (``nas_kernel.data_fit.DATA_SIZED``) of the first training evaluator's data."""
    from nas_kernel.data_fit import data_sizes, training_data

    for i, evaluator in enumerate(evaluators):
        try:
            provider = training_data(evaluator)
            if provider is not None:
                return data_sizes(provider)
        except USER_ERRORS as exc:
            raise ConfigError(f"cannot read the data: {exc}", source=source,
                              key=f"objectives[{i}].evaluator.params.dataset") from None
    return {}


def check_data_fits(experiment: Experiment) -> None:
    """Before the first evaluation: one sample model of the space takes one batch of each
    training evaluator's data (``nas_kernel.data_fit``); a mismatch is a ``ConfigError`` naming
    the space and the dataset and what each says."""
    from nas_kernel.data_fit import DataUnreadable, describe_data, describe_space, mismatches

    spec = experiment.spec
    space_key = f"search_space {spec['search_space']['name']}"
    # objectives are kept in the experiment's order, so the i-th is objectives[i]
    evaluators = list(enumerate(o["evaluator"] for o in experiment.objectives.objectives.values()))
    try:
        for i, provider, exc in mismatches(experiment.search_space, evaluators):
            data_key = _dataset_key(spec["objectives"][i]["evaluator"], f"objectives[{i}].evaluator")
            data = describe_data(provider) if provider is not None else "its data"
            message = (f"{space_key} builds {describe_space(experiment.search_space)}; {data_key} gives {data}: "
                       f"{exc}{_fit_hint(spec, provider, experiment)}")
            raise ConfigError(message, source=experiment.source)
    except DataUnreadable as exc:  # e.g. an image that cannot be decoded: named, before the search
        data_key = _dataset_key(spec["objectives"][exc.label]["evaluator"], f"objectives[{exc.label}].evaluator")
        raise ConfigError(f"{data_key}: {exc}", source=experiment.source) from None


def _dataset_key(comp: Dict[str, Any], key: str) -> str:
    """``dataset arrays (objectives[0].evaluator.params.dataset)``: where the experiment names the
    data an evaluator trains on (looking into wrapped evaluators)."""
    params = comp.get("params") or {}
    if isinstance(params.get("dataset"), dict) and "name" in params["dataset"]:
        return f"dataset {params['dataset']['name']} ({key}.params.dataset)"
    for pname, value in params.items():
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            found = _dataset_key(value, f"{key}.params.{pname}")
            if "(" in found:
                return found
    return f"the default dataset of evaluator {comp['name']} ({key})"


def _fit_hint(spec: Dict[str, Any], provider: Any, experiment: Experiment) -> str:
    from nas_kernel.data_fit import data_sizes

    if provider is None:
        return ""
    sizes = data_sizes(provider)
    given = spec["search_space"].get("params") or {}
    differ = [k for k in sizes if k in given and given[k] != sizes[k]]
    if differ:
        return "; " + ", ".join(f"search_space.params.{k} is {given[k]!r} but the data has {sizes[k]!r}"
                                for k in differ) + ": leave it out to take it from the data"
    registry = getattr(experiment.manager, "registry", None)
    has_mlp = registry is not None and "mlp" in _names(registry, "search_spaces")
    if "num_features" in sizes and spec["search_space"]["name"] != "mlp" and has_mlp:
        return "; use search_space mlp (it takes feature rows)"
    return ""


def _names(registry: Any, kind: str) -> List[str]:
    try:
        return list(registry.names(kind))
    except Exception:
        return []


def load_experiment(path: Optional[str], manager: NasPluginManager, *, sets: Sequence[str] = (),
                    seed: Optional[int] = None, output_dir: Optional[str] = None) -> Experiment:
    """Read, override, validate and build: the whole path from a file to a ready searcher."""
    raw, source = read_experiment(path)
    raw = apply_overrides(raw, sets, source)
    spec = validate(raw, source, seed=seed, output_dir=output_dir)
    return build_experiment(spec, source, manager)


def load_run(output_dir: str, manager: NasPluginManager) -> Experiment:
    """Rebuild the components of a run from the experiment it saved (for `train-best`, plugins)."""
    path = os.path.join(output_dir, SAVED_EXPERIMENT)
    if not os.path.exists(path):
        raise ConfigError(f"no {SAVED_EXPERIMENT} here: not a search output directory", source=output_dir)
    return load_experiment(path, manager, output_dir=output_dir)


from nas_kernel.run_files import SAVED_EXPERIMENT  # noqa: E402,F401 (public here too)


def save_experiment(experiment: Experiment) -> str:
    import yaml

    os.makedirs(experiment.output_dir, exist_ok=True)
    path = os.path.join(experiment.output_dir, SAVED_EXPERIMENT)
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(experiment.spec, f, sort_keys=False)
    return path


#: factory parameters the kernel fills when the experiment leaves them out: the experiment's seed, the
#: folder relative data paths resolve against (``base_dir``), and the run's ``output_dir``
SUPPLIED_BY_NAME = ("seed", "base_dir", "output_dir")


def experiment_folder(source: str) -> str:
    """The absolute folder of the experiment file ``source`` (the working directory for the
    embedded default or a component built from code)."""
    if source and os.path.isfile(source):
        return os.path.dirname(os.path.abspath(source))
    return os.getcwd()


class ComponentBuildError(Exception):
    """A plugin's factory raised something other than a refusal of its parameters: a bug in the
    plugin, not a mistake in the experiment (``nas search`` exit 1, the plugin named, the traceback
    kept: the factory's exception is ``__cause__``)."""

    def __init__(self, message: str, *, kind: str, name: str, plugin: str, source: str = "", key: str = "",
                 output_dir: Optional[str] = None) -> None:
        self.kind, self.name, self.plugin, self.source, self.key = kind, name, plugin, source, key
        self.output_dir = output_dir  # where the run's error log goes
        super().__init__(message)


#: what a factory raises to refuse its parameters (a user's mistake: exit 2): ``ValueError`` from the
#: parameter checks (``nas_kernel.toolbox.params``), ``FileNotFoundError`` for a path the experiment names
USER_ERRORS = (ValueError, FileNotFoundError)


class ComponentBuilder:
    """Builds ``{name, params}`` components of the registries, nested ones first."""

    def __init__(self, manager: NasPluginManager, source: str, seed: int, *, base_dir: Optional[str] = None,
                 output_dir: Optional[str] = None) -> None:
        self.manager, self.source, self.seed = manager, source, seed
        #: what a factory gets for a parameter of that name the experiment does not set (SUPPLIED_BY_NAME)
        self.context = {"seed": seed, "base_dir": base_dir or experiment_folder(source), "output_dir": output_dir}

    def component(self, kind: str, comp: Dict[str, Any], key: str, leading: Tuple[Any, ...] = (),
                  from_data: Optional[Dict[str, Any]] = None) -> Any:
        """Build ``comp``; ``from_data`` (a space's sizes read off the data) fills parameters of
        those names the experiment does not set."""
        name = comp["name"]
        try:
            entry = self.manager.registry.get(kind, name)
            factory = entry.load()
            params = factory_parameters(factory, kind)
        except ComponentError as exc:
            raise ConfigError(str(exc), source=self.source, key=f"{key}.name") from None
        except (TypeError, ValueError) as exc:  # no introspectable signature
            raise ConfigError(f"{label(kind)} {name!r} has no readable signature: {exc}", source=self.source,
                              key=f"{key}.name") from None
        given = dict(comp.get("params") or {})
        by_name = {p.name: p for p in params}
        for pname in given:
            if pname not in by_name:
                choices = ", ".join(by_name) or "(none)"
                raise ConfigError(f"unknown parameter of {label(kind)} {name!r}; its parameters are: {choices}",
                                  source=self.source, key=f"{key}.params.{pname}")
        hints = _type_hints(factory)
        kwargs: Dict[str, Any] = {}
        for pname, value in given.items():
            pkey = f"{key}.params.{pname}"
            kwargs[pname] = self._value(value, pname, pkey, hints.get(pname))
            _check_type(kwargs[pname], hints.get(pname), pkey, self.source)
        for pname in SUPPLIED_BY_NAME:
            if pname in by_name and pname not in given and self.context[pname] is not None:
                kwargs[pname] = self.context[pname]
        filled = {p: v for p, v in (from_data or {}).items() if p in by_name and p not in given}
        kwargs.update(filled)
        missing = [p.name for p in params if p.default is inspect.Parameter.empty and p.name not in kwargs]
        if missing:
            raise ConfigError(f"missing required parameter(s) of {label(kind)} {name!r}: {', '.join(missing)}",
                              source=self.source, key=f"{key}.params")
        try:
            with using_plugins(self.manager):  # a default the factory builds comes from this manager
                obj = factory(*leading, **kwargs)
        except USER_ERRORS as exc:
            taken = (" (" + ", ".join(f"{p}={v!r}" for p, v in filled.items()) + " taken from the training data)"
                     if filled else "")
            raise ConfigError(f"{label(kind)} {name!r} refused its parameters: {exc}{taken}", source=self.source,
                              key=f"{key}.params") from None
        except Exception as exc:  # anything else is the plugin's bug: keep its traceback
            raise ComponentBuildError(
                f"{label(kind)} {name!r} of plugin {entry.plugin.describe()} failed to build ({self.source}, key "
                f"'{key}'): {type(exc).__name__}: {exc}. This is a bug in the plugin, not in the experiment.",
                kind=kind, name=name, plugin=entry.plugin.name, source=self.source, key=key,
                output_dir=self.context.get("output_dir")) from exc
        expected = BY_KEY[kind].contract_types() if kind in BY_KEY else ()
        if expected and not isinstance(obj, expected):
            raise ConfigError(f"{label(kind)} {name!r} of plugin {entry.plugin.describe()} built a "
                              f"{type(obj).__name__}, not a {BY_KEY[kind].contract_names()}", source=self.source,
                              key=key)
        return obj

    def _value(self, value: Any, pname: str, key: str, hint: Any = None) -> Any:
        if isinstance(value, dict) and "name" in value and set(value) <= COMPONENT_KEYS and isinstance(value["name"], str):
            _component_shape(value, key, self.source)
            return self.component(self._kind_for(value["name"], pname, key, hint), value, key)
        if isinstance(value, list):
            return [self._value(v, pname, f"{key}[{i}]", hint) for i, v in enumerate(value)]
        return value

    def _kind_for(self, name: str, pname: str, key: str, hint: Any = None) -> str:
        """Which kind a nested ``{name, params}`` is: the kind whose contract the parameter's
        annotation names (``dataset: DatasetProvider``, ``Optional[Predictor]``, ``List[...]``);
        without one, the documented fallback: a parameter named after a kind (``dataset``,
        ``train_dataset``, ``predictor``, ``inner_evaluator``); else the one kind that registers
        ``name``."""
        by_type = kinds_for_type(hint)
        if len(by_type) == 1:
            return by_type[0]
        by_name = [k.key for k in KINDS if pname == k.snake or pname.endswith("_" + k.snake)]
        if by_name:
            return by_name[0]
        kinds = self.manager.registry.kinds_with(name)
        if len(kinds) == 1:
            return kinds[0]
        if not kinds:
            raise ConfigError(f"unknown component {name!r}: no plugin registers it under any kind. "
                              + self.manager.broken_hint(), source=self.source, key=f"{key}.name")
        raise ConfigError(f"{name!r} is registered as several kinds ({', '.join(kinds)}); cannot tell which "
                          f"parameter {pname!r} wants", source=self.source, key=f"{key}.name")


def _type_hints(factory: Any) -> Dict[str, Any]:
    target = factory.__init__ if inspect.isclass(factory) else factory
    try:
        return typing.get_type_hints(target)
    except Exception:
        return {}


def _check_type(value: Any, hint: Any, key: str, source: str) -> None:
    """Check plain annotated types (int, float, bool, str, list, dict, Optional of those)."""
    if hint is None:
        return
    allowed = _plain_types(hint)
    if allowed is None:
        return
    if value is None and type(None) in allowed:
        return
    ok = False
    for t in allowed:
        if t is float and _is_number(value):
            ok = True
        elif t is int and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        elif t is bool and isinstance(value, bool):
            ok = True
        elif t in (str, list, dict, tuple) and isinstance(value, list if t is tuple else t):
            ok = True
    if not ok:
        names = " or ".join("null" if t is type(None) else ("list" if t is tuple else t.__name__) for t in allowed)
        raise ConfigError(f"expected {names}, got {_kind_of(value)} {value!r}", source=source, key=key)


def _plain_types(hint: Any) -> Optional[Tuple[type, ...]]:
    simple = (int, float, bool, str, list, dict, tuple, type(None))
    origin = typing.get_origin(hint)
    if origin is typing.Union or (origin is not None and getattr(origin, "__name__", "") == "UnionType"):
        parts = []
        for arg in typing.get_args(hint):
            sub = _plain_types(arg)
            if sub is None:
                return None
            parts.extend(sub)
        return tuple(parts)
    if origin in (list, dict, tuple):
        return (origin,)
    if hint in simple:
        return (hint,)
    return None
