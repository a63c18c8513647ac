"""One test per hook (a meta-test checks there is one for every hookspec), and the hook
reference: every hookspec documents each of its arguments and appears in docs/plugins/hooks.md."""
import inspect
import re
import sys
from pathlib import Path

import click
import pytest

from nas_kernel import hookimpl, hookspecs
from nas_kernel.cli import make_cli
from nas_kernel.plugins import call_register_commands
from test_loop import objectives
from toy import Distance, ToyRandom, ToySpace

ROOT = Path(__file__).resolve().parent.parent
SPECS = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
         if hasattr(fn, "nas_kernel_spec")]


def registered(manager, kind, plugin):
    manager.register(plugin, name="p")
    return manager.registry.names(kind)


def test_hook_register_search_spaces(plugin_manager):
    class P:
        @hookimpl
        def register_search_spaces(self, register):
            register("toy", ToySpace)

    assert registered(plugin_manager, "search_spaces", P()) == ["toy"]


def test_hook_register_evaluators(plugin_manager):
    class P:
        @hookimpl
        def register_evaluators(self, register):
            register("distance", Distance)

    assert registered(plugin_manager, "evaluators", P()) == ["distance"]


def test_hook_register_predictors(plugin_manager):
    class P:
        @hookimpl
        def register_predictors(self, register):
            register("mean", "toy:ToySpace")

    assert registered(plugin_manager, "predictors", P()) == ["mean"]


def test_hook_register_searchers(plugin_manager):
    class P:
        @hookimpl
        def register_searchers(self, register):
            register("toy_random", ToyRandom)

    assert registered(plugin_manager, "searchers", P()) == ["toy_random"]


def test_hook_register_ops(plugin_manager):
    class P:
        @hookimpl
        def register_ops(self, register):
            register("identity", lambda op_desc, affine: op_desc)

    assert registered(plugin_manager, "ops", P()) == ["identity"]
    assert plugin_manager.registry.get("ops", "identity").load()("d", True) == "d"


def test_hook_register_datasets(plugin_manager):
    class P:
        @hookimpl
        def register_datasets(self, register):
            register("numbers", lambda n=3: list(range(n)))

    assert registered(plugin_manager, "datasets", P()) == ["numbers"]


def test_hook_register_trackers(plugin_manager):
    class P:
        @hookimpl
        def register_trackers(self, register):
            register("notes", "nas_kernel.testing.reference:IntegerSpace")

    assert registered(plugin_manager, "trackers", P()) == ["notes"]


def test_hook_register_commands(plugin_manager):
    class P:
        @hookimpl
        def register_commands(self, cli):
            cli.add_command(click.Command("extra", callback=lambda: None))

    plugin_manager.register(P(), name="p")
    cli = make_cli()
    call_register_commands(plugin_manager, cli)
    assert "extra" in cli.commands


def test_hook_conformance_checks(plugin_manager):
    from nas_kernel.plugins_in_use import using_plugins
    from nas_kernel.testing import check_search_space

    def check_toy_space_is_toy(space):
        assert isinstance(space, ToySpace)

    class P:
        @hookimpl
        def conformance_checks(self, component):
            return [check_toy_space_is_toy] if isinstance(component, ToySpace) else None

    plugin_manager.register(P(), name="p")
    with using_plugins(plugin_manager):
        names = [r["check_name"] for r in check_search_space(ToySpace(), on_fail=None)]
    assert names[-1] == "check_toy_space_is_toy" and names.count("check_toy_space_is_toy") == 1


@pytest.fixture
def lifecycle(plugin_manager, tmp_path):
    calls = []

    class P:
        @hookimpl
        def on_search_start(self, searcher):
            calls.append(("on_search_start", searcher.num_iters))

        @hookimpl
        def on_start_iteration(self, searcher, iteration):
            calls.append(("on_start_iteration", iteration))

        @hookimpl
        def on_iteration_end(self, searcher, iteration, models, results):
            calls.append(("on_iteration_end", iteration, len(models), len(results["distance"])))

        @hookimpl
        def on_search_end(self, searcher, results):
            calls.append(("on_search_end", results.iteration_num))

    plugin_manager.register(P(), name="p")
    searcher = ToyRandom(ToySpace(), objectives(), str(tmp_path), num_iters=2, samples_per_iter=3)
    searcher.progress = False
    searcher.plugin_manager = plugin_manager
    searcher.search()
    return calls


def test_hook_on_search_start(lifecycle):
    assert lifecycle[0] == ("on_search_start", 2)


def test_hook_on_start_iteration(lifecycle):
    assert [c for c in lifecycle if c[0] == "on_start_iteration"] == [("on_start_iteration", 1),
                                                                       ("on_start_iteration", 2)]


def test_hook_on_iteration_end(lifecycle):
    assert ("on_iteration_end", 2, 3, 3) in lifecycle


def test_hook_on_search_end(lifecycle):
    assert lifecycle[-1] == ("on_search_end", 2)


def test_every_hookspec_has_a_test():
    tested = {name[len("test_hook_"):] for name in dir(sys.modules[__name__]) if name.startswith("test_hook_")}
    assert set(SPECS) <= tested, f"untested hooks: {sorted(set(SPECS) - tested)}"
    assert len(SPECS) == 13


@pytest.mark.parametrize("name", SPECS)
def test_every_hookspec_documents_each_argument_and_has_an_example(name):
    fn = getattr(hookspecs, name)
    doc = inspect.getdoc(fn) or ""
    for arg in inspect.signature(fn).parameters:
        assert re.search(rf"\b{arg}\b", doc), f"{name} does not document {arg!r}"
    assert "Example:" in doc and "@nas_kernel.hookimpl" in doc


@pytest.mark.parametrize("name", SPECS)
def test_every_hookspec_is_in_the_hook_reference(name):
    reference = (ROOT / "docs" / "plugins" / "hooks.md").read_text()
    assert f"## `{name}(" in reference


def test_tracing_writes_a_line_before_and_after_every_hook_call(capsys):
    from nas_kernel.plugins import call_lifecycle, make_plugin_manager

    class Quiet:
        @hookimpl
        def register_evaluators(self, register):
            register("distance", Distance)

        @hookimpl
        def on_start_iteration(self, iteration):
            pass

    class Loud:
        @hookimpl
        def on_start_iteration(self, iteration):
            raise RuntimeError("loud failure")

    manager = make_plugin_manager(entrypoints=False, trace=True)
    manager.register(Quiet(), name="quiet")
    manager.register(Loud(), name="loud")
    call_lifecycle(manager, "on_start_iteration", searcher=None, iteration=1)
    err = capsys.readouterr().err
    assert "nas trace: register_evaluators -> quiet (register)" in err
    assert re.search(r"nas trace: register_evaluators <- quiet: ok in \d+\.\d\d ms", err)
    assert "nas trace: on_start_iteration -> loud (iteration)" in err
    assert "nas trace: on_start_iteration <- loud: raised RuntimeError: loud failure" in err
    assert re.search(r"nas trace: on_start_iteration <- quiet: ok in", err)  # the failure was isolated
    silent = make_plugin_manager(entrypoints=False, trace=False)
    silent.register(Quiet(), name="quiet")
    call_lifecycle(silent, "on_start_iteration", searcher=None, iteration=1)
    assert "nas trace" not in capsys.readouterr().err
