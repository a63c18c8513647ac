"""The plugin manager: loading one plugin at a time, broken records, conflicts, lazy factories."""
import json
import sys

import pytest

from nas_kernel import hookimpl
from nas_kernel.plugins import (ComponentConflict, ComponentError, PluginError, UnknownComponent,
                                call_lifecycle, make_plugin_manager)
from toy import Distance, ToySpace


def test_duplicate_search_space_names_both_plugins(plugin_manager):
    class A:
        @hookimpl
        def register_search_spaces(self, register):
            register("cnn", ToySpace)
            register("only_a", ToySpace)

    class B:
        @hookimpl
        def register_search_spaces(self, register):
            register("cnn", ToySpace)

    plugin_manager.register(A(), name="a")
    plugin_manager.register(B(), name="b")
    with pytest.raises(ComponentConflict, match="'cnn' is registered by both 'a' and 'b'"):
        plugin_manager.registry.get("search_spaces", "cnn")
    assert plugin_manager.registry.get("search_spaces", "only_a").load() is ToySpace  # a's other ones work
    rows = {r["name"]: r for r in plugin_manager.plugin_rows()}
    assert rows["a"]["conflicts"] == [{"kind": "search_spaces", "name": "cnn", "with": "b"}]
    assert rows["a"]["components"]["search_spaces"] == ["cnn (conflict)", "only_a"]


def test_a_raising_registration_hook_breaks_only_that_plugin_and_registers_nothing(plugin_manager):
    class Bad:
        @hookimpl
        def register_evaluators(self, register):
            register("half", Distance)
            raise RuntimeError("oops")

    class Good:
        @hookimpl
        def register_evaluators(self, register):
            register("distance", Distance)

    plugin_manager.register(Bad(), name="bad")
    plugin_manager.register(Good(), name="good")
    assert plugin_manager.registry.names("evaluators") == ["distance"]
    bad = plugin_manager.records["bad"]
    assert bad.status == "broken" and bad.error["stage"] == "hook register_evaluators"
    assert bad.error["message"] == "oops"


def test_unknown_component_lists_choices_and_broken_plugins(plugin_manager):
    class Bad:
        @hookimpl
        def register_search_spaces(self, register):
            raise ImportError("No module named 'timm'")

    class Good:
        @hookimpl
        def register_search_spaces(self, register):
            register("toy", ToySpace)

    plugin_manager.register(Bad(), name="bad")
    plugin_manager.register(Good(), name="good")
    with pytest.raises(UnknownComponent) as err:
        plugin_manager.registry.get("search_spaces", "resnet")
    assert "Choose one of: toy" in str(err.value) and "broken plugin(s) 'bad'" in str(err.value)


@pytest.mark.parametrize("name,factory,match", [
    ("bad name!", ToySpace, "name must match"),
    ("ok", "not a ref", "lazy factory must look like"),
    ("ok", 42, "must be callable"),
])
def test_register_validates_names_and_factories(plugin_manager, name, factory, match):
    class P:
        @hookimpl
        def register_search_spaces(self, register):
            register(name, factory)

    plugin_manager.register(P(), name="p")
    assert plugin_manager.registry.names("search_spaces") == []
    assert match in plugin_manager.records["p"].error["message"]


def test_lazy_reference_is_imported_only_when_used(plugin_manager, fake_dists):
    fake_dists("fake-lazy", modules={"fake_lazy_impl": "import sys\nsys.modules[__name__].IMPORTED = True\n"
                                     "from toy import ToySpace as Space\n"})

    class P:
        @hookimpl
        def register_search_spaces(self, register):
            register("lazy", "fake_lazy_impl:Space")

    plugin_manager.register(P(), name="p")
    entry = plugin_manager.registry.get("search_spaces", "lazy")
    assert "fake_lazy_impl" not in sys.modules
    assert entry.load() is ToySpace and "fake_lazy_impl" in sys.modules


def test_lazy_reference_that_fails_to_import_names_the_plugin(plugin_manager):
    class P:
        @hookimpl
        def register_search_spaces(self, register):
            register("ghost", "fake_missing_module:Space")

    plugin_manager.register(P(), name="p")
    with pytest.raises(ComponentError, match="search space 'ghost' of plugin 'p' failed to import"):
        plugin_manager.registry.get("search_spaces", "ghost").load()


def test_wrappers_and_unknown_hooks_are_refused(plugin_manager):
    class Wrapper:
        @hookimpl(wrapper=True)
        def on_search_start(self, searcher):
            yield

    class Unknown:
        @hookimpl
        def on_something_else(self):
            pass

    with pytest.raises(Exception, match="wrapper"):
        plugin_manager.register(Wrapper(), name="w")
    with pytest.raises(Exception, match="unknown hook"):
        plugin_manager.register(Unknown(), name="u")
    assert "w" not in plugin_manager.records and "u" not in plugin_manager.records


def test_raising_lifecycle_hook_is_marked_broken_and_skipped_afterwards(plugin_manager, capsys):
    calls = []

    class Bad:
        @hookimpl
        def on_start_iteration(self, iteration):
            calls.append(iteration)
            raise ValueError("bad hook")

    plugin_manager.register(Bad(), name="badhook")
    call_lifecycle(plugin_manager, "on_start_iteration", searcher=None, iteration=1)
    call_lifecycle(plugin_manager, "on_start_iteration", searcher=None, iteration=2)
    assert calls == [1]
    assert plugin_manager.records["badhook"].error["stage"] == "hook on_start_iteration"
    assert capsys.readouterr().err.count("plugin 'badhook'") == 1


def test_strict_mode_reraises_plugin_errors(monkeypatch):
    monkeypatch.setenv("NAS_STRICT_PLUGINS", "1")

    class Bad:
        @hookimpl
        def register_searchers(self, register):
            raise RuntimeError("strict boom")

    plugin_manager = make_plugin_manager(entrypoints=False)  # strict from the environment, read here
    assert plugin_manager.strict
    with pytest.raises(PluginError, match="strict boom"):
        plugin_manager.register(Bad(), name="bad")  # building the registry is the step that runs the hook
    assert plugin_manager.records["bad"].error["message"] == "strict boom"


def test_strictness_is_given_when_the_manager_is_built_and_reading_the_registry_changes_nothing(monkeypatch,
                                                                                                 capsys):
    class Bad:
        @hookimpl
        def register_searchers(self, register):
            raise RuntimeError("lenient boom")

    monkeypatch.setenv("NAS_STRICT_PLUGINS", "1")
    lenient = make_plugin_manager(entrypoints=False, strict=False)  # the parameter wins over the environment
    monkeypatch.delenv("NAS_STRICT_PLUGINS")
    lenient.register(Bad(), name="bad")
    assert lenient.records["bad"].broken and not lenient.strict
    registry = lenient.registry
    assert lenient.registry is registry and registry.names("searchers") == []  # a plain read, built once
    assert make_plugin_manager(entrypoints=False).strict is False  # the environment, read when building
    lenient.warn_broken()
    lenient.warn_broken()
    other = make_plugin_manager(entrypoints=False, strict=False)
    other.register(Bad(), name="bad")
    other.warn_broken()  # each manager warns once about its own broken plugins: no process-wide memory
    assert capsys.readouterr().err.count("plugin 'bad' failed to load: RuntimeError: lenient boom") == 2


BROKEN_IMPORT = {"fake_broken": "raise ModuleNotFoundError(\"No module named 'timm'\")\n"}
GOOD = {"fake_good": """
from nas_kernel import hookimpl

@hookimpl
def register_search_spaces(register):
    register("good_space", "toy:ToySpace")
"""}


def test_entry_points_load_with_broken_and_duplicate_plugins(fake_dists):
    fake_dists("fake-good", entry_points={"fake_good": "fake_good"}, modules=GOOD)
    fake_dists("fake-broken", "0.2.0", entry_points={"fake_broken": "fake_broken"}, modules=BROKEN_IMPORT)
    fake_dists("fake-twin", entry_points={"fake_good": "fake_good"})
    pm = make_plugin_manager(only=["fake-good", "fake-broken", "fake-twin"])
    rows = {r["name"]: r for r in pm.plugin_rows()}
    assert rows["fake_good"]["status"] == "ok" and rows["fake_good"]["distribution"] == "fake-good"
    assert rows["fake_good"]["components"] == {"search_spaces": ["good_space"]}
    broken = rows["fake_broken"]
    assert broken["status"] == "broken" and broken["version"] == "0.2.0"
    assert broken["error"]["stage"] == "import" and broken["error"]["type"] == "ModuleNotFoundError"
    twin = rows["fake_good (fake-twin)"]
    assert twin["error"]["stage"] == "duplicate-entry-point" and "fake-good 0.1.0" in twin["error"]["message"]
    assert json.loads(json.dumps(rows))  # plain JSON


def test_nas_load_plugins_limits_and_empty_loads_none(fake_dists, monkeypatch):
    fake_dists("fake-good", entry_points={"fake_good": "fake_good"}, modules=GOOD)
    monkeypatch.setenv("NAS_LOAD_PLUGINS", "")
    assert make_plugin_manager().records == {}
    monkeypatch.setenv("NAS_LOAD_PLUGINS", "fake-good")
    assert list(make_plugin_manager().records) == ["fake_good"]
