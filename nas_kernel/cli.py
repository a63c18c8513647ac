"""The ``nas`` command. Built fresh per run: plugins add commands to their own copy of the group.

Exit codes (``nas_kernel.cli_exit``): 0 ok, 1 the search failed or a plugin has a bug, 2 bad input
(file, key, value, unknown component), 130 interrupted. Bad input prints one message naming the
file and key, never a traceback.
"""
from __future__ import annotations

import json
import sys
from typing import Any, List, Optional

import click

from nas_kernel.cli_exit import EXIT_FAILED, error, fail
from nas_kernel.kinds import BY_CLI, KEYS
from nas_kernel.plugins import NasPluginManager, call_register_commands, make_plugin_manager
from nas_kernel.plugins_in_use import using_plugins

__all__ = ["main", "make_cli"]


def _manager() -> NasPluginManager:
    return click.get_current_context().find_root().obj


def make_cli() -> click.Group:
    """A new ``nas`` group with the built-in commands."""

    @click.group(context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(package_name="nas-kernel", prog_name="nas")
    def cli() -> None:
        """NAS Kernel: neural architecture search for PyTorch, extended by plugins."""

    @cli.group(name="plugins")
    def plugins_group() -> None:
        """Installed plugins: list them, check one's components, or scaffold a new one."""

    @plugins_group.command(name="list")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable rows with stable keys.")
    @click.option("--hook", default=None, help="Only plugins implementing this hook.")
    def plugins_list(as_json: bool, hook: Optional[str]) -> None:
        """One row per plugin: name, distribution, version, status and its components."""
        from nas_kernel._plugin_listing import render_plugins

        rows = _manager().plugin_rows()
        if hook:
            rows = [r for r in rows if hook in r["hooks"]]
        click.echo(json.dumps(rows, indent=2) if as_json else render_plugins(rows))

    @plugins_group.command(name="check")
    @click.argument("name")
    def plugins_check(name: str) -> None:
        """Import every component of plugin NAME and name those that fail (exit 1)."""
        from nas_kernel._plugin_listing import check_rows, render_checks

        manager = _manager()
        if name not in {r["name"] for r in manager.plugin_rows()}:
            fail(f"no plugin named {name!r}; 'nas plugins list' shows the installed ones")
        rows = check_rows(manager, name)
        click.echo(render_checks(name, rows))
        if any(r["status"] != "ok" for r in rows):
            sys.exit(EXIT_FAILED)

    @plugins_group.command(name="new")
    @click.argument("name")
    @click.option("--kind", default="search-space", show_default=True, type=click.Choice(list(BY_CLI)))
    @click.option("--directory", "-d", default=".", show_default=True, help="Where to create the distribution.")
    def plugins_new(name: str, kind: str, directory: str) -> None:
        """Scaffold a plugin distribution that installs and passes its tests as is."""
        try:
            from nas_kernel._scaffold import create_plugin
        except ImportError as exc:
            fail(f"the plugin scaffold is not available: {exc}", EXIT_FAILED)
        try:
            path = create_plugin(name, kind, directory)
        except (ValueError, FileExistsError) as exc:
            fail(str(exc))
        click.echo(f"Created {path}\nNext: pip install -e {path} && nas plugins list")

    @cli.command(name="components")
    @click.argument("kind", required=False, type=click.Choice(list(KEYS)))
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    def components(kind: Optional[str], as_json: bool) -> None:
        """Every registered component with its parameters (from the factory signatures)."""
        from nas_kernel._plugin_listing import component_rows, render_components

        manager = _manager()
        manager.warn_broken()
        rows = component_rows(manager, [kind] if kind else list(KEYS))
        click.echo(json.dumps(rows, indent=2) if as_json else render_components(rows))

    @cli.command(name="search")
    @click.argument("experiment", required=False, type=click.Path(dir_okay=False))
    @click.option("-o", "--output-dir", default=None, help="Write here instead of the file's output_dir.")
    @click.option("--resume", is_flag=True, help="Continue the search stored in the output directory.")
    @click.option("--seed", type=int, default=None, help="Override the experiment's seed.")
    @click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                  help="Override a key, e.g. --set searcher.params.num_iters=3 (repeatable).")
    @click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
    def search(experiment: Optional[str], output_dir: Optional[str], resume: bool, seed: Optional[int],
               sets: List[str], quiet: bool) -> None:
        """Run a search from EXPERIMENT.yaml (no file: the embedded default experiment)."""
        from nas_kernel.search_command import run_search

        manager = _manager()
        manager.warn_broken()
        sys.exit(run_search(manager, experiment, output_dir=output_dir, resume=resume, seed=seed,
                            sets=list(sets), quiet=quiet))

    @cli.group(name="results")
    def results_group() -> None:
        """Inspect a finished or running search (read-only on its store)."""

    @results_group.command(name="show")
    @click.argument("directory", type=click.Path(file_okay=False))
    @click.option("--all", "show_all", is_flag=True, help="Every evaluated model, not only the front.")
    def results_show(directory: str, show_all: bool) -> None:
        """Summary: status, counts, the Pareto front and the failed evaluations."""
        from nas_kernel.results_command import show

        sys.exit(show(directory, show_all))

    @results_group.command(name="plot")
    @click.argument("directory", type=click.Path(file_okay=False))
    @click.option("--out", default=None, help="Folder for the PNG files (default DIRECTORY/plots).")
    @click.option("--compare", multiple=True, type=click.Path(file_okay=False), metavar="DIR",
                  help="Another run to draw beside this one in comparison.png (repeatable).")
    def results_plot(directory: str, out: Optional[str], compare: List[str]) -> None:
        """Best-so-far, parallel coordinates, run comparison and 2-D Pareto evolution plots."""
        from nas_kernel.results_command import plot

        sys.exit(plot(directory, out, list(compare)))

    return cli


def main(argv: Optional[List[str]] = None, manager: Optional[NasPluginManager] = None) -> Any:
    """Entry point of the ``nas`` console script."""
    try:
        manager = manager or make_plugin_manager()
    except Exception as exc:  # only a strict manager raises: show where the plugin failed
        return sys.exit(error(str(exc), EXIT_FAILED, exc=exc, show_traceback=True))
    cli = make_cli()
    call_register_commands(manager, cli)
    with using_plugins(manager):  # what plugins build as defaults comes from this manager too
        return cli.main(args=argv, prog_name="nas", obj=manager)


if __name__ == "__main__":  # pragma: no cover
    main()
