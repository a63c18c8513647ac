"""A validated plain experiment built into its components: evaluators, the search space (taking
the sizes it leaves out from their data), the objectives, the searcher and the trackers.

``load_experiment`` is the whole path from a file to a ready searcher (the one reader, then
building); ``load_run`` rebuilds a run from the experiment it saved.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence, Tuple

from nas_kernel.experiment.component_builder import ComponentBuilder
from nas_kernel.experiment.data_check import space_sizes_from_data
from nas_kernel.experiment.errors import ConfigError
from nas_kernel.experiment.identity import fingerprint, identity
from nas_kernel.experiment.reader import read_spec
from nas_kernel.run_files import SAVED_EXPERIMENT

__all__ = ["Experiment", "build_experiment", "load_experiment", "load_run"]


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


def build_experiment(spec: Dict[str, Any], source: str, manager: Any) -> Experiment:
    """Build search space, objectives and searcher from a validated ``spec`` with ``manager``'s
    registries."""
    from nas_kernel.api.objectives import SearchObjectives
    from nas_kernel._tracking import labels_for

    builder = ComponentBuilder(manager, source, spec["seed"], base_dir=spec.get("base_dir"),
                               output_dir=spec["output_dir"])
    # evaluators first: the space takes the sizes its experiment leaves out from their data
    evaluators = [builder.component("evaluators", obj["evaluator"], f"objectives[{i}].evaluator")
                  for i, obj in enumerate(spec["objectives"])]
    space = builder.component("search_spaces", spec["search_space"], "search_space",
                              from_data=space_sizes_from_data(evaluators, source))
    objectives = SearchObjectives()
    for obj, evaluator in zip(spec["objectives"], evaluators):
        objectives.add_objective(obj["name"], evaluator, higher_is_better=obj["higher_is_better"],
                                 compute_intensive=obj.get("compute_intensive", True),
                                 constraint=obj.get("constraint"))
    for i, con in enumerate(spec.get("constraints") or []):
        evaluator = builder.component("evaluators", con["evaluator"], f"constraints[{i}].evaluator")
        objectives.add_constraint(con["name"], evaluator, con["constraint"])
    searcher = builder.component("searchers", spec["searcher"], "searcher",
                                 leading=(space, objectives, spec["output_dir"]))
    built = [builder.component("trackers", t, f"trackers[{i}]") for i, t in enumerate(spec.get("trackers") or [])]
    trackers = list(zip(labels_for([t["name"] for t in spec.get("trackers") or []]), built))
    return Experiment(spec, source, space, objectives, searcher, manager, trackers)


def load_experiment(path: Optional[str], manager: Any, *, sets: Sequence[str] = (),
                    seed: Optional[int] = None, output_dir: Optional[str] = None) -> Experiment:
    """Read, override, validate and build: the whole path from a file to a ready searcher."""
    spec, source = read_spec(path, sets=sets, seed=seed, output_dir=output_dir)
    return build_experiment(spec, source, manager)


def load_run(output_dir: str, manager: Any) -> Experiment:
    """Rebuild the components of a run from the experiment it saved (for `train-best`, plugins)."""
    path = os.path.join(output_dir, SAVED_EXPERIMENT)
    if not os.path.exists(path):
        raise ConfigError(f"no {SAVED_EXPERIMENT} here: not a search output directory", source=output_dir)
    return load_experiment(path, manager, output_dir=output_dir)
