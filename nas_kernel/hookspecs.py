"""Every hook a NAS Kernel plugin can implement. These docstrings are the hook reference.

A plugin is a module (or object) with functions marked ``@nas_kernel.hookimpl`` whose names are
the hooks below; it is found through the ``nas_kernel`` entry-point group. A hookimpl names only
the arguments it needs (pluggy passes arguments by name) and never gives them defaults.
"""
from __future__ import annotations

import textwrap

from typing import Any, Callable, Dict, Union

import pluggy

from nas_kernel.kinds import KINDS, Kind

__all__ = ["PROJECT", "hookspec", "hookimpl", "RegisterFn", "REGISTRATION_HOOKS", "LIFECYCLE_HOOKS"]

PROJECT = "nas_kernel"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

#: ``register(name, factory)``: a factory is a callable or a lazy ``"package.module:attr"`` text.
RegisterFn = Callable[[str, Union[Callable[..., Any], str]], None]


# ---- Registration hooks: called once per plugin manager, after every plugin has loaded ----
# One ``register_<kind>`` hook per record of ``nas_kernel.kinds.KINDS``, its docstring built from it.

_REGISTRATION_DOC = """Register {label} factories. Called once, after all plugins are loaded.

Args:
{register}

Example:
    @nas_kernel.hookimpl
    def {hook}(register):
        register("{name}", "{target}")
"""


def _registration_hookspec(kind: Kind) -> Callable[[RegisterFn], None]:
    def spec(register: RegisterFn) -> None:
        pass

    spec.__name__ = spec.__qualname__ = kind.hook
    register = (f"``register(name, factory)``. {kind.factory_doc} ``factory`` may be a lazy "
                f"``\"package.module:attr\"`` reference, imported only when the {kind.label} is first built or "
                "inspected. A name registered by two plugins is a conflict: neither gets it, and using it is an "
                "error naming both.")
    register = textwrap.fill(register, 96, initial_indent="    register: ", subsequent_indent="        ")
    spec.__doc__ = _REGISTRATION_DOC.format(label=kind.label, register=register, hook=kind.hook,
                                            name=kind.example[0], target=kind.example[1])
    return hookspec(spec)


for _kind in KINDS:
    globals()[_kind.hook] = _registration_hookspec(_kind)
del _kind


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


# ---- Conformance-kit hook: called by nas_kernel.testing for each component it checks ----


@hookspec
def conformance_checks(component: Any) -> Any:
    """Checks of a contract this plugin defines, for a component that takes part in it.

    A plugin that reads an optional capability of other plugins' components (methods a search
    space may have, say) owns that contract; this hook lets it check the components that claim it,
    wherever the conformance kit (``nas_kernel.testing``) runs: ``check_search_space(space)`` and
    ``parametrize_with_checks`` add these checks after the ones the component's kinds give, so a
    third party's component is held to every contract of the installed plugins it takes part in.

    Args:
        component: the component being checked (an instance: a search space, an evaluator, ...).

    Returns:
        The checks that apply to it, or nothing (``None`` or ``[]``) when it does not take part.
        A check is a function of the component that raises ``nas_kernel.testing.CheckFailed``
        (an ``AssertionError``) with a message naming what broke; its ``__name__`` (unique across
        plugins) is the check's name in results and test ids.

    Example:
        @nas_kernel.hookimpl
        def conformance_checks(component):
            if hasattr(component, "my_blocks"):
                return [check_lists_my_blocks]
    """


# ---- Lifecycle hooks: called during a search (the start and end by the run's owner,
# nas_kernel.run_session; each iteration by nas_kernel.loop) ----


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


REGISTRATION_HOOKS = {k.hook: k.key for k in KINDS}
LIFECYCLE_HOOKS = ("on_search_start", "on_start_iteration", "on_iteration_end", "on_search_end")
