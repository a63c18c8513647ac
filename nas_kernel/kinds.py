"""The component kinds, defined once.

Every table that used to spell the kinds out (the registration hookspecs, the registries, the
experiment builder's expected types, the kit's checks and ``check_plugin``, the scaffold and the
``nas`` command's choices) is derived from :data:`KINDS`. Adding a kind is one record here, a
starter template pair under ``templates/plugin/kinds/`` and, if the kit should check it, a check
lister. Types are named as ``"module:attr"`` texts and imported on use, so importing this module
imports neither the API nor torch.
"""
from __future__ import annotations

import sys
import typing
from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

from nas_kernel.toolbox.references import resolve_reference

__all__ = ["BY_CLI", "BY_KEY", "KEYS", "KINDS", "Kind", "kinds_for_type", "label"]


@dataclass(frozen=True)
class Kind:
    """One component kind.

    ``key`` is the registry key (``nas components KEY``, ``check_plugin(expects={KEY: ...})``,
    ``build_component(KEY, ...)``); the hook is ``register_<key>``; ``cli`` is the
    ``nas plugins new --kind`` value; ``label`` is the word in messages, and with ``_`` for spaces
    the kit's name for it (``check_search_space``) and the scaffold's starter module.
    """

    key: str
    label: str
    cli: str
    #: ``"module:attr"`` of the types a built component must be one of (the contract)
    contract: Tuple[str, ...]
    #: what ``factory`` must return, and what the kernel gives it, for the hook reference
    factory_doc: str
    #: ``(name, "module:attr")`` of the hook reference's example
    example: Tuple[str, str]
    #: ``"module:attr"`` of the kit function listing the checks that apply to an object
    checks: str
    #: arguments the kernel passes first, by position; they are not user parameters
    supplied: Tuple[str, ...] = ()
    #: the scaffold's starter: class-name suffix ("" = a factory function ``make_<name>``)
    starter_suffix: str = ""
    #: what the kit's runner takes, when it is not simply the built component
    kit_subject: str = ""
    #: the scaffold's starter needs torch
    needs_torch: bool = False
    #: ``check_plugin`` builds each component with its defaults (not for kinds whose defaults may
    #: need files a test machine lacks; their kit checks take a built object)
    check_plugin_builds: bool = True

    @property
    def hook(self) -> str:
        return f"register_{self.key}"

    @property
    def snake(self) -> str:
        return self.label.replace(" ", "_")

    @property
    def built_by_check_plugin(self) -> bool:
        """``check_plugin`` builds these with their defaults: ``factory()`` alone makes one."""
        return self.check_plugin_builds and not self.supplied

    def contract_names(self) -> str:
        """``"ModelEvaluator or AsyncModelEvaluator"``; types outside the kernel with their module."""
        return " or ".join(attr if module.startswith("nas_kernel") else f"{module}.{attr}"
                           for module, _, attr in (ref.partition(":") for ref in self.contract))

    def contract_types(self) -> tuple:
        """The contract's types, imported now (for ops this imports torch)."""
        return tuple(resolve_reference(ref) for ref in self.contract)

    def subject(self) -> str:
        """What the kit's ``check_<snake>`` runner takes, in words."""
        return self.kit_subject or f"{self.label} ({self.contract_names()})"


KINDS: Tuple[Kind, ...] = (
    Kind("search_spaces", "search space", "search-space",
         contract=("nas_kernel.api:DiscreteSearchSpace",),
         factory_doc="``factory(**params)`` must return a ``DiscreteSearchSpace`` (usually also "
                     "``EvolutionarySearchSpace`` and ``BayesOptSearchSpace``). Its keyword parameters are what "
                     "``nas components search_spaces`` shows and what ``search_space.params`` in an experiment "
                     "file may set; a ``seed`` parameter receives the experiment's seed unless the file sets it.",
         example=("cnn", "my_spaces.cnn:CNNSearchSpace"),
         checks="nas_kernel.testing._search_space:search_space_checks", starter_suffix="SearchSpace"),
    Kind("evaluators", "evaluator", "evaluator",
         contract=("nas_kernel.api:ModelEvaluator", "nas_kernel.api:AsyncModelEvaluator"),
         factory_doc="``factory(**params)`` must return a ``ModelEvaluator`` or an ``AsyncModelEvaluator``. An "
                     "objective's ``evaluator`` in the experiment file names it; a parameter whose value is a "
                     "mapping with a ``name`` key (for instance ``dataset: {name: digits}``) is built as a "
                     "component first.",
         example=("num_params", "my_evals.params:NumParams"),
         checks="nas_kernel.testing._evaluator:evaluator_checks", starter_suffix="Evaluator"),
    Kind("predictors", "predictor", "predictor",
         contract=("nas_kernel.api:Predictor",),
         factory_doc="``factory(**params)`` must return a ``Predictor`` whose ``predict`` gives ``MeanVar`` "
                     "arrays of shape (N, T). Searchers take predictors as component parameters "
                     "(``predictor: {name: mlp_ensemble}``).",
         example=("gp", "my_predictors.gp:GaussianProcess"),
         checks="nas_kernel.testing._predictor:predictor_checks", starter_suffix="Predictor"),
    Kind("searchers", "searcher", "searcher",
         contract=("nas_kernel.api:Searcher",),
         factory_doc="``factory(search_space, objectives, output_dir, **params)`` must return a ``Searcher``; "
                     "the kernel supplies the first three (``objectives`` is a ``SearchObjectives``), the "
                     "experiment's ``searcher.params`` the rest, and ``seed`` the experiment's seed unless set. "
                     "Searchers built on ``nas_kernel.loop.IterativeSearcher`` get hooks, constraints, caching, "
                     "the results store and resume from the kernel.",
         example=("random", "my_searchers.random:RandomSearch"),
         checks="nas_kernel.testing._searcher:searcher_checks",
         supplied=("search_space", "objectives", "search_objectives", "output_dir"), starter_suffix="Searcher",
         kit_subject="searcher factory make(output_dir) -> Searcher"),
    Kind("ops", "op", "ops",
         contract=("torch.nn:Module",),
         factory_doc="``factory(op_desc, affine)`` must return a ``torch.nn.Module``; ``op_desc`` describes "
                     "channels, stride and op parameters, and ``affine`` says whether batch norms learn scale and "
                     "shift. Supergraph builders look ops up by the name "
                     "(``nas_kernel.components.component_factory(\"ops\", name)``).",
         example=("sep_conv_3x3", "my_ops.sepconv:make_sep_conv_3x3"),
         checks="nas_kernel.testing._ops:op_checks", supplied=("op_desc", "affine"), needs_torch=True),
    Kind("datasets", "dataset", "dataset",
         contract=("nas_kernel.api.dataset:DatasetProvider",),
         factory_doc="``factory(**params)`` must return a ``DatasetProvider`` (``nas_kernel.api.dataset``: "
                     "train/validation/test tensors, a sample-by-sample ``torch_dataset``, ``num_classes``, "
                     "``input_shape``) that evaluators receive as a component parameter, e.g. "
                     "``dataset: {name: digits, params: {seed: 1}}``; a ``seed`` parameter receives the "
                     "experiment's seed unless set.",
         example=("digits", "my_data.digits:Digits"),
         checks="nas_kernel.testing._dataset:dataset_checks", starter_suffix="Dataset", needs_torch=True,
         check_plugin_builds=False),
    Kind("trackers", "tracker", "tracker",
         contract=("nas_kernel.api.tracker:Tracker",),
         factory_doc="``factory(**params)`` must return a ``Tracker`` (``nas_kernel.api.tracker``): an experiment-"
                     "tracking backend that gets a parent run per search, the evaluations not logged before and the "
                     "final Pareto front. The experiment's ``trackers: [{name, params}]`` lists them; the kernel "
                     "feeds each from the lifecycle hooks on a background thread, so a failing tracker is reported "
                     "once and never stops the search.",
         example=("mlflow", "my_tracking.mlflow:MLflowTracker"),
         checks="nas_kernel.testing._tracker:tracker_checks", starter_suffix="Tracker",
         check_plugin_builds=False),
)

BY_KEY: Dict[str, Kind] = {k.key: k for k in KINDS}
BY_CLI: Dict[str, Kind] = {k.cli: k for k in KINDS}
KEYS: Tuple[str, ...] = tuple(BY_KEY)


def label(key: str) -> str:
    """``"search space"`` for ``"search_spaces"``; an unknown key is returned as is."""
    found = BY_KEY.get(key)
    return found.label if found else key


def _classes_in(hint: Any) -> List[type]:
    """The classes an annotation names: ``Optional[X]``, ``X | None``, ``List[X]``, ``Sequence[X]`` -> X."""
    if isinstance(hint, type):
        return [hint]
    found: List[type] = []
    for arg in typing.get_args(hint):
        found += _classes_in(arg)
    return found


def kinds_for_type(hint: Any) -> List[str]:
    """The keys of the kinds whose contract an annotation names (``DatasetProvider`` -> datasets).
    A contract in a module not yet imported (torch for ops) cannot be what a class derives from,
    so it is not imported to find out."""
    classes = [c for c in _classes_in(hint) if c is not type(None) and c is not object]
    found = []
    for record in KINDS:
        for ref in record.contract:
            module = ref.partition(":")[0]
            if module not in sys.modules and not module.startswith("nas_kernel"):
                continue
            contract = resolve_reference(ref)
            if any(issubclass(c, contract) for c in classes) and record.key not in found:
                found.append(record.key)
    return found
