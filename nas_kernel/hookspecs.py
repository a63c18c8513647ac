"""Every hook a NAS Kernel plugin can implement. These docstrings are the hook reference.

A plugin is a module (or object) with functions marked ``@nas_kernel.hookimpl`` whose names are
the hooks below; it is found through the ``nas_kernel`` entry-point group. A hookimpl names only
the arguments it needs (pluggy passes arguments by name) and never gives them defaults.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Union

import pluggy

PROJECT = "nas_kernel"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

#: ``register(name, factory)``: a factory is a callable or a lazy ``"package.module:attr"`` text.
RegisterFn = Callable[[str, Union[Callable[..., Any], str]], None]


# ---- Registration hooks: called once per plugin manager, after every plugin has loaded ----


@hookspec
def register_search_spaces(register: RegisterFn) -> None:
    """Register search-space factories. Called once, after all plugins are loaded.

    Args:
        register: ``register(name, factory)``. ``factory(**params)`` must return a
            ``DiscreteSearchSpace`` (usually also ``EvolutionarySearchSpace`` and
            ``BayesOptSearchSpace``). Its keyword parameters are what ``nas components
            search_spaces`` shows and what ``search_space.params`` in an experiment file may set;
            a ``seed`` parameter receives the experiment's seed unless the file sets it.
            ``factory`` may be a lazy ``"package.module:attr"`` reference, imported only when the
            space is first built or inspected. A name registered by two plugins is a conflict:
            neither gets it, and using it is an error naming both.

    Example:
        @nas_kernel.hookimpl
        def register_search_spaces(register):
            register("cnn", "my_spaces.cnn:CNNSearchSpace")
    """


@hookspec
def register_evaluators(register: RegisterFn) -> None:
    """Register evaluator factories. Called once, after all plugins are loaded.

    Args:
        register: ``register(name, factory)``. ``factory(**params)`` must return a
            ``ModelEvaluator`` or an ``AsyncModelEvaluator``. An objective's ``evaluator`` in
            the experiment file names it; a parameter whose value is a mapping with a ``name``
            key (for instance ``dataset: {name: digits}``) is built as a component first.
            Lazy ``"module:attr"`` references and duplicate names behave as for
            ``register_search_spaces``.

    Example:
        @nas_kernel.hookimpl
        def register_evaluators(register):
            register("num_params", "my_evals.params:NumParams")
    """


@hookspec
def register_predictors(register: RegisterFn) -> None:
    """Register predictor (surrogate model) factories. Called once, after all plugins are loaded.

    Args:
        register: ``register(name, factory)``. ``factory(**params)`` must return a
            ``Predictor`` whose ``predict`` gives ``MeanVar`` arrays of shape (N, T). Searchers
            take predictors as component parameters (``predictor: {name: mlp_ensemble}``).
            Lazy references and duplicate names behave as for ``register_search_spaces``.

    Example:
        @nas_kernel.hookimpl
        def register_predictors(register):
            register("gp", "my_predictors.gp:GaussianProcess")
    """


@hookspec
def register_searchers(register: RegisterFn) -> None:
    """Register searcher factories. Called once, after all plugins are loaded.

    Args:
        register: ``register(name, factory)``. ``factory(search_space, objectives, output_dir,
            **params)`` must return a ``Searcher``; the kernel supplies the first three
            (``objectives`` is a ``SearchObjectives``), the experiment's ``searcher.params``
            the rest, and ``seed`` the experiment's seed unless set. Searchers built on
            ``nas_kernel.loop.IterativeSearcher`` get hooks, constraints, caching, the results
            store and resume from the kernel. Lazy references and duplicate names behave as for
            ``register_search_spaces``.

    Example:
        @nas_kernel.hookimpl
        def register_searchers(register):
            register("random", "my_searchers.random:RandomSearch")
    """


@hookspec
def register_ops(register: RegisterFn) -> None:
    """Register supergraph operations. Called once, after all plugins are loaded.

    Args:
        register: ``register(name, factory)``. ``factory(op_desc, affine)`` must return a
            ``torch.nn.Module``; ``op_desc`` describes channels, stride and op parameters, and
            ``affine`` says whether batch norms learn scale and shift. Supergraph builders look
            ops up by the name. Lazy references and duplicate names behave as for
            ``register_search_spaces``.

    Example:
        @nas_kernel.hookimpl
        def register_ops(register):
            register("sep_conv_3x3", "my_ops.sepconv:make_sep_conv_3x3")
    """


@hookspec
def register_datasets(register: RegisterFn) -> None:
    """Register dataset providers. Called once, after all plugins are loaded.

    Args:
        register: ``register(name, factory)``. ``factory(**params)`` returns a dataset
            provider (train/validation/test tensors or datasets) that evaluators receive as a
            component parameter, e.g. ``dataset: {name: digits, params: {seed: 1}}``. Lazy
            references and duplicate names behave as for ``register_search_spaces``.

    Example:
        @nas_kernel.hookimpl
        def register_datasets(register):
            register("digits", "my_data.digits:Digits")
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the ``nas`` command line. Called once, before arguments are parsed.

    Args:
        cli: the ``nas`` ``click.Group``. Add commands with ``@cli.command()`` or
            ``cli.add_command(...)``. A command name already taken is an error that marks this
            plugin broken; the rest of ``nas`` keeps working. Import heavy libraries inside the
            command function, not at module level, so ``nas --help`` stays fast.

    Example:
        @nas_kernel.hookimpl
        def register_commands(cli):
            @cli.command(name="hello")
            def hello():
                click.echo("hello from my plugin")
    """


# ---- Lifecycle hooks: called by nas_kernel.loop during a search ----


@hookspec
def on_search_start(searcher: Any) -> None:
    """Called once when a search begins, before its first iteration.

    Args:
        searcher: the running ``Searcher``; ``searcher.search_space``,
            ``searcher.objectives``, ``searcher.output_dir`` and ``searcher.rng`` are
            available. Do not draw from ``searcher.rng``: that would change the search.

    A raising implementation marks its plugin broken (one warning) and is skipped for the rest
    of the run; with ``NAS_STRICT_PLUGINS=1`` the error stops the search.

    Example:
        @nas_kernel.hookimpl
        def on_search_start(searcher):
            print("searching in", searcher.output_dir)
    """


@hookspec
def on_start_iteration(searcher: Any, iteration: int) -> None:
    """Called at the start of every iteration, with the 1-based ``iteration`` number.

    Args:
        searcher: the running ``Searcher``.
        iteration: 1 for the first iteration. Callbacks given to
            ``Searcher.subscribe_start_iteration`` fire from the same point with the same number.

    Errors behave as for ``on_search_start``.

    Example:
        @nas_kernel.hookimpl
        def on_start_iteration(searcher, iteration):
            searcher.objectives.objectives["val_acc"]["evaluator"].reset()
    """


@hookspec
def on_iteration_end(searcher: Any, iteration: int, models: Any, results: Dict[str, Any]) -> None:
    """Called after an iteration's models are evaluated and stored.

    Args:
        searcher: the running ``Searcher``.
        iteration: the 1-based number of the iteration that ended.
        models: the ``ArchaiModel`` list evaluated in this iteration (constraint-valid ones).
        results: objective name -> numpy array of values, aligned with ``models`` (NaN for a
            failed evaluation).

    Errors behave as for ``on_search_start``.

    Example:
        @nas_kernel.hookimpl
        def on_iteration_end(searcher, iteration, models, results):
            print(iteration, max(results["val_acc"]))
    """


@hookspec
def on_search_end(searcher: Any, results: Any) -> None:
    """Called once when a search finishes, after the exports are written.

    Args:
        searcher: the ``Searcher`` that ran.
        results: its ``SearchResults``.

    Errors behave as for ``on_search_start``.

    Example:
        @nas_kernel.hookimpl
        def on_search_end(searcher, results):
            print(len(results.get_pareto_frontier()["models"]), "models on the front")
    """


REGISTRATION_HOOKS = {
    "register_search_spaces": "search_spaces",
    "register_evaluators": "evaluators",
    "register_predictors": "predictors",
    "register_searchers": "searchers",
    "register_ops": "ops",
    "register_datasets": "datasets",
}
LIFECYCLE_HOOKS = ("on_search_start", "on_start_iteration", "on_iteration_end", "on_search_end")
