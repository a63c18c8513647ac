"""How a latency table or a supernet remembers its search space, and gets it back.

The table command builds only the experiment's search space (its evaluators may need the table
that is being built), filling the sizes a space takes from the data (``in_channels``,
``img_size``, ``num_classes``) from the first objective's dataset, as ``nas search`` does. The
record (``name``, ``params`` as written, ``from_data``, ``seed``, ``base_dir``) is stored in the
table, so the ``latency_table`` evaluator rebuilds the same space through the kernel's registry.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple


def _dataset_of(evaluator: Any, key: str) -> Optional[Tuple[Dict[str, Any], str]]:
    """The first ``dataset`` component of an evaluator's spec and its key, looking through
    wrappers that run another evaluator (``process_pool``, ``ray``: ``params.evaluator``), as the
    kernel looks through them for the data of ``nas search``."""
    params = evaluator.get("params") if isinstance(evaluator, dict) else None
    if not isinstance(params, dict):
        return None
    dataset = params.get("dataset")
    if isinstance(dataset, dict) and "name" in dataset:
        return dataset, f"{key}.params.dataset"
    return _dataset_of(params.get("evaluator"), f"{key}.params.evaluator")


def read_spec(path: str) -> Tuple[Dict[str, Any], str]:
    """``(spec, source)``: the experiment file read and its shape checked as ``nas search`` does,
    without building anything (a file without ``output_dir`` gets a placeholder next to it)."""
    import os

    from nas_kernel.experiment.shape import validate
    from nas_kernel.experiment.yaml_file import read_experiment

    raw, source = read_experiment(path)
    placeholder = os.path.join(os.path.dirname(os.path.abspath(path)), "runs")
    return validate(raw, source, output_dir=None if raw.get("output_dir") else placeholder), source


def space_record(spec: Dict[str, Any], from_data: Dict[str, Any]) -> Dict[str, Any]:
    """What a table or a supernet keeps to rebuild the experiment's space (see the module docstring)."""
    return {"name": spec["search_space"]["name"], "params": dict(spec["search_space"].get("params") or {}),
            "from_data": from_data, "seed": spec["seed"], "base_dir": spec.get("base_dir")}


def space_from_experiment(path: str, manager) -> Tuple[Any, Dict[str, Any]]:
    """``(space, record)`` of the experiment file ``path`` (ConfigError on bad input)."""
    from nas_kernel.experiment.component_builder import ComponentBuilder
    from nas_kernel.data_fit import data_sizes

    spec, source = read_spec(path)
    builder = ComponentBuilder(manager, source, spec["seed"], base_dir=spec.get("base_dir"))
    from_data: Dict[str, Any] = {}
    for i, objective in enumerate(spec["objectives"]):
        found = _dataset_of(objective["evaluator"], f"objectives[{i}].evaluator")
        if found is not None:
            from_data = data_sizes(builder.component("datasets", *found))
            break
    record = space_record(spec, from_data)
    return build_space(record, manager, source), record


def build_space(record: Dict[str, Any], manager, source: str):
    """The space of ``record``, built through the kernel's registry (ConfigError on bad input)."""
    import inspect

    from nas_kernel.experiment.component_builder import ComponentBuilder
    from nas_kernel.experiment.errors import ConfigError

    builder = ComponentBuilder(manager, source, record["seed"], base_dir=record.get("base_dir"))
    params = dict(record["params"])
    try:
        accepted = inspect.signature(manager.registry.get("search_spaces", record["name"]).load()).parameters
    except Exception as exc:  # an unknown or broken space: the builder below says which
        accepted = {}
        if not isinstance(exc, (TypeError, ValueError)):
            raise ConfigError(f"search space {record['name']!r} is not available: {exc}", source=source,
                              key="search_space.name") from None
    for name, value in (record.get("from_data") or {}).items():
        if name in accepted and name not in params:
            params[name] = value
    return builder.component("search_spaces", {"name": record["name"], "params": params}, "search_space")
