"""The experiment's data meets its space: the sizes a space takes from its training data, and
the check before the first evaluation, each mistake a ``ConfigError`` naming the keys involved.
The measuring itself is ``nas_kernel.data_fit``'s."""
from __future__ import annotations

from typing import Any, Dict, List, Sequence

from nas_kernel.experiment.errors import USER_ERRORS, ConfigError

__all__ = ["check_data_fits", "space_sizes_from_data"]


def space_sizes_from_data(evaluators: Sequence[Any], source: str) -> Dict[str, Any]:
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


def check_data_fits(experiment: Any) -> None:
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


def _fit_hint(spec: Dict[str, Any], provider: Any, experiment: Any) -> str:
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
