"""Evaluators that look NAS-Bench-201 results up in the shipped table instead of training: the
archid is enough, the torch module is never built. ``Nb201TableEvaluator`` also keeps a
simulated training clock so benchmark runs can report "time spent" as if each query had been a
real 12-epoch training run.

Default simulated cost per query (``seconds_per_query=None``): the table has no training times,
so these are assumed round figures, not measurements: 120 s for CIFAR-10 (the 12-epoch
``cifar10-valid`` schedule, 25k training images), 240 s for CIFAR-100 (50k images), 180 s for
ImageNet16-120 (151k images at a quarter of the pixels). They scale with images x pixels from
the CIFAR-10 anchor; pass ``seconds_per_query`` to use your own figure.
"""
from __future__ import annotations

from typing import Dict, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, ModelEvaluator
from nas_kernel.toolbox.params import check_number
from nas_search_spaces.nb201.archids import index_of
from nas_search_spaces.nb201.search_space import canonical_dataset
from nas_search_spaces.nb201.table import Nb201Table, load_nb201_table

SECONDS_PER_QUERY: Dict[str, float] = {"cifar10": 120.0, "cifar100": 240.0, "imagenet16": 180.0}
DATASET_NAMES = ("cifar10", "cifar100", "imagenet16")


def resolve_column(table: Nb201Table, metric: str, dataset: Optional[str], what: str = "metric") -> str:
    """The table column for ``metric`` (a full column name, or a per-dataset stem such as
    ``valid_acc_12ep``, ``test_acc``, ``params_mb``, ``flops_m`` combined with ``dataset``)."""
    names = table.metric_names
    if dataset is None:
        if metric in names:
            return metric
    else:
        ds = canonical_dataset(dataset)
        for name in (f"{ds}_{metric}", f"{metric}_{ds}"):
            if name in names:
                return name
        if metric in names and _dataset_of(metric) in (None, ds):
            return metric
    raise ValueError(f"{what} {metric!r} (dataset {dataset!r}) is not a column of the NAS-Bench-201 table; "
                     f"columns: {', '.join(names)}")


def _dataset_of(column: str) -> Optional[str]:
    for ds in sorted(DATASET_NAMES, key=len, reverse=True):
        if column.startswith(ds + "_") or column.endswith("_" + ds):
            return ds
    return None


class Nb201TableEvaluator(ModelEvaluator):
    """Value of a NAS-Bench-201 table column for a ``natsbench_tss`` archid.

    Args:
        metric: a column (default ``cifar10_valid_acc_12ep``, the usual cheap search signal) or,
            with ``dataset``, a per-dataset stem (``valid_acc_12ep``, ``test_acc``,
            ``test_acc_12ep``, ``params_mb``, ``flops_m``).
        dataset: cifar10, cifar100 or imagenet16 (ImageNet16-120), combined with ``metric``.
        seconds_per_query: simulated training seconds charged per query (default: per dataset,
            see the module docstring).
        natsbench_location: another copy of the table.

    ``simulated_seconds`` is the running total charged by this instance (``num_queries``
    queries); each model gets its own charge in ``metadata["nb201_train_seconds"]``. The
    ``budget`` argument is ignored: the table holds one training schedule per column.
    """

    def __init__(self, metric: str = "cifar10_valid_acc_12ep", dataset: Optional[str] = None,
                 seconds_per_query: Optional[float] = None, natsbench_location: Optional[str] = None) -> None:
        self.table = load_nb201_table(natsbench_location)
        if not isinstance(metric, str):
            raise ValueError(f"metric must be a column name, got {metric!r}")
        self.metric, self.dataset = metric, dataset
        self.column = resolve_column(self.table, metric, dataset)
        if seconds_per_query is None:
            seconds_per_query = SECONDS_PER_QUERY[_dataset_of(self.column) or "cifar10"]
        self.seconds_per_query = check_number("seconds_per_query", seconds_per_query, 0.0)
        self.simulated_seconds = 0.0
        self.num_queries = 0

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None):
        value = self.table.value(index_of(arch.archid, self.table), self.column)
        self.simulated_seconds += self.seconds_per_query
        self.num_queries += 1
        arch.metadata["nb201_train_seconds"] = self.seconds_per_query
        return value

    def reset_clock(self) -> None:
        """Start a new simulated run (e.g. between benchmark repetitions)."""
        self.simulated_seconds, self.num_queries = 0.0, 0


# Archai's NATS-Bench metric names -> column stem, by training epochs (None = the default schedule)
_ARCHAI_METRICS = {
    ("test-accuracy", None): "test_acc", ("test-accuracy", 200): "test_acc", ("test-accuracy", 12): "test_acc_12ep",
    ("valid-accuracy", None): "valid_acc_12ep", ("valid-accuracy", 12): "valid_acc_12ep",
    ("params", None): "params_mb", ("flops", None): "flops_m",
}


class NatsbenchMetric(ModelEvaluator):
    """Archai-compatible table lookup: ``NatsbenchMetric(search_space, "test-accuracy", epochs=12)``.

    ``metric_name`` is an Archai/NATS-Bench name (``test-accuracy``, ``valid-accuracy``,
    ``params``, ``flops``) or any table column; the dataset is the space's ``base_dataset``.
    Only what the shipped table holds is available (200-epoch test, 12-epoch valid/test, cost);
    anything else is a ValueError at construction. ``more_info_kwargs`` / ``cost_info_kwargs``
    are accepted for signature compatibility and must be empty. A missing archid raises, or
    returns None (a failed evaluation) when ``raise_not_found`` is False.
    """

    def __init__(self, search_space, metric_name: str, epochs: Optional[int] = None, raise_not_found: bool = True,
                 more_info_kwargs: Optional[dict] = None, cost_info_kwargs: Optional[dict] = None) -> None:
        if more_info_kwargs or cost_info_kwargs:
            raise ValueError("more_info_kwargs / cost_info_kwargs are not supported by the offline table")
        self.search_space = search_space
        self.table = getattr(search_space, "table", None) or load_nb201_table()
        dataset = getattr(search_space, "base_dataset", "cifar10")
        stem = _ARCHAI_METRICS.get((metric_name, epochs))
        if stem is None and epochs is not None and (metric_name, None) in _ARCHAI_METRICS:
            raise ValueError(f"metric_name {metric_name!r} is not in the table for epochs={epochs}")
        self.column = resolve_column(self.table, stem or metric_name, dataset if stem else None, "metric_name")
        self.raise_not_found = bool(raise_not_found)

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None):
        try:
            index = index_of(arch.archid, self.table)
        except ValueError:
            if self.raise_not_found:
                raise
            return None
        return self.table.value(index, self.column)
