"""``nas search``: experiment file -> checks -> search -> summary, with the exit codes of DESIGN."""
from __future__ import annotations

import os
import shlex
import traceback
from contextlib import closing
from typing import List, Optional

import click

from nas_kernel.cli_exit import (EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, disk_full, error,
                                 install_sigterm, plugin_bug)
from nas_kernel.run_files import ERROR_LOG
from nas_kernel.experiment.build import load_experiment
from nas_kernel.experiment.data_check import check_data_fits
from nas_kernel.experiment.errors import ComponentBuildError, ConfigError
from nas_kernel.experiment.yaml_file import save_experiment
from nas_kernel.run_files import SAVED_EXPERIMENT
from nas_kernel.plugins import NasPluginManager, PluginError
from nas_kernel.store import StoreError
from nas_kernel.store_reader import open_store

__all__ = ["run_search"]


def run_search(manager: NasPluginManager, path: Optional[str], *, output_dir: Optional[str], resume: bool,
               seed: Optional[int], sets: List[str], quiet: bool) -> int:
    if path is None and resume and output_dir and os.path.exists(os.path.join(output_dir, SAVED_EXPERIMENT)):
        path = os.path.join(output_dir, SAVED_EXPERIMENT)
    try:
        experiment = load_experiment(path, manager, sets=sets, seed=seed, output_dir=output_dir)
    except ConfigError as exc:
        return error(str(exc), EXIT_BAD_INPUT)
    except ComponentBuildError as exc:  # a bug in a plugin, not in the experiment
        return plugin_bug(exc, exc.output_dir, show_traceback=manager.strict or manager.trace_calls)
    except PluginError as exc:
        return error(str(exc), EXIT_FAILED)
    try:  # one sample model takes one batch of each training evaluator's data: before anything is written
        check_data_fits(experiment)
    except ConfigError as exc:
        return error(str(exc), EXIT_BAD_INPUT)
    searcher = experiment.searcher
    # the CLI never moves an earlier run aside: a new search there is refused (exit 2), and the
    # experiment file is saved only once the directory is held and the store accepted it
    run = experiment.run_context(resume=resume, progress=not quiet, earlier_run="refuse",
                                 on_open=lambda _dir: save_experiment(experiment))
    resume_hint = _resume_command(path, experiment.output_dir)
    from nas_kernel.failures import SearchFailed
    from nas_kernel.run_session import run_searcher

    install_sigterm()
    try:
        results = run_searcher(searcher, run, output_dir=experiment.output_dir, objectives=experiment.objectives)
    except KeyboardInterrupt:
        click.echo(f"\nnas: search interrupted; everything evaluated so far is stored in "
                   f"{experiment.output_dir}.\nResume with: {resume_hint}", err=True)
        return EXIT_INTERRUPTED
    except SearchFailed as exc:
        log = _failure_log(experiment.output_dir)
        details = f"; details in {log}" if log else ""
        return error(f"search failed: {str(exc).rstrip('.')}{details}", EXIT_FAILED)
    except StoreError as exc:
        return error(str(exc), EXIT_BAD_INPUT)
    except Exception as exc:
        if disk_full(exc):  # the store is intact up to the last evaluation: say how to go on, nothing more
            return error(f"no space left on device writing {experiment.output_dir}: "
                          f"{_stored(experiment.output_dir)} evaluations are stored; free space and resume with "
                          f"{resume_hint}", EXIT_FAILED)
        log = os.path.join(experiment.output_dir, ERROR_LOG)
        try:
            with open(log, "w", encoding="utf-8") as f:
                traceback.print_exc(file=f)
            where = f"traceback in {log}; "
        except OSError:
            where = ""
        return error(f"search failed: {type(exc).__name__}: {exc} ({where}resume with: {resume_hint})", EXIT_FAILED)
    reason = getattr(searcher, "stop_reason", None)
    if reason:
        click.echo(f"\nStopped after {results.iteration_num} iterations: {reason}.")
    _summary(results, experiment.output_dir)
    _failures_line(experiment.output_dir)
    return EXIT_OK


def _stored(output_dir: str) -> int:
    """How many evaluations the run's store holds (0 when it cannot be read)."""

    try:
        with closing(open_store(output_dir)) as store:
            return store.count_evaluations()
    except Exception:
        return 0


def _failure_log(output_dir: str) -> Optional[str]:
    """Every failed evaluation of the run, written to ``OUTPUT_DIR/error.log``; its path, or None
    when there is nothing to write or no room to write it."""
    from nas_kernel.failures import write_failure_log

    try:
        with closing(open_store(output_dir)) as store:
            failures = store.failures()
        if not failures:
            return None
        return write_failure_log(os.path.join(output_dir, ERROR_LOG), failures)
    except Exception:
        return None


def _failures_line(output_dir: str) -> None:
    """After a finished search, one line on stderr (shown with ``-q`` too) when evaluations failed."""
    from nas_kernel.failures import failure_summary

    try:
        with closing(open_store(output_dir)) as store:
            summary = failure_summary(store.evaluations())
    except Exception:
        return
    if summary:
        log = _failure_log(output_dir)
        click.echo(f"nas: {summary}" + (f"; details in {log}" if log else ""), err=True)


def _summary(results, output_dir: str) -> None:
    from nas_kernel.results_command import front_table

    click.echo(f"\nPareto front ({len(results.get_pareto_frontier()['models'])} models):")
    click.echo(front_table(results))
    from nas_kernel import run_files as rf

    for label, name in (("search state", rf.SEARCH_STATE), ("Pareto front", rf.PARETO_JSON), ("plots", rf.PLOTS),
                        ("Pareto models", rf.PARETO_MODELS), ("store", rf.RESULTS_DB)):
        path = os.path.join(output_dir, name)
        if os.path.exists(path):
            click.echo(f"{label + ':':14} {path}")
    click.echo(f"\nBrowse it:     {_browse_command(output_dir)}")


def _browse_command(output_dir: str) -> str:
    """``nas results serve DIR`` when a plugin added that command (nas-dashboard), else the
    table view and the install that adds the dashboard."""
    ctx = click.get_current_context(silent=True)
    results = ctx.find_root().command.commands.get("results") if ctx is not None else None
    quoted = shlex.quote(output_dir)
    if results is not None and "serve" in getattr(results, "commands", {}):
        return f"nas results serve {quoted}   (live dashboard; also: nas results show {quoted})"
    return f"nas results show {quoted}   (pip install nas-dashboard for `nas results serve`)"


def _resume_command(path: Optional[str], output_dir: str) -> str:
    parts = ["nas", "search"] + ([path] if path else []) + ["-o", output_dir, "--resume"]
    return " ".join(shlex.quote(p) for p in parts)

