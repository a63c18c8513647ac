"""``"module:attr"`` references resolve one way (``nas_kernel.toolbox.references``): one shape for
every caller, no other module importing by name; and ``import_reference``: a module next to the
experiment file wins over a same-named one elsewhere on ``sys.path``, and a second experiment in
another folder gets its own module, not the cached one."""
import json
import os.path
import sys
from pathlib import Path

import pytest

from nas_kernel import hookimpl
from nas_kernel.plugins import make_plugin_manager
from nas_kernel.toolbox.references import (check_reference, import_reference, is_reference, resolve_reference,
                                           resolve_value)


@pytest.fixture
def clean_path(monkeypatch):
    """sys.path and the probe modules restored after the test."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    for name in [n for n in sys.modules if n == "nasref_probe" or n.startswith("nasref_probe.")]:
        del sys.modules[name]


def probe(folder, where):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nasref_probe.py").write_text(f"def where():\n    return {where!r}\n")
    return str(folder)


def test_the_experiment_folder_wins_over_sys_path(tmp_path, clean_path):
    elsewhere = probe(tmp_path / "installed", "installed")
    sys.path.append(elsewhere)  # a same-named module already reachable from sys.path
    experiment = probe(tmp_path / "experiment", "experiment")
    assert import_reference("nasref_probe:where", experiment, "dataset")() == "experiment"
    assert sys.path[0] == experiment and sys.path.count(experiment) == 1
    import_reference("nasref_probe:where", experiment, "dataset")
    assert sys.path.count(experiment) == 1  # once, however often it is called


def test_a_second_experiment_gets_its_own_same_named_module(tmp_path, clean_path):
    first = probe(tmp_path / "one", "one")
    second = probe(tmp_path / "two", "two")
    assert import_reference("nasref_probe:where", first, "dataset")() == "one"
    assert import_reference("nasref_probe:where", second, "dataset")() == "two"
    assert import_reference("nasref_probe:where", first, "dataset")() == "one"
    # a folder without such a module uses the one cached
    assert import_reference("nasref_probe:where", str(tmp_path), "dataset")() == "one"


def test_an_installed_module_already_imported_stays_cached(tmp_path, clean_path):
    import json

    (tmp_path / "json.py").write_text("def dumps(x):\n    return 'mine'\n")
    assert import_reference("json:dumps", str(tmp_path), "dataset") is json.dumps
    assert sys.modules["json"] is json


MALFORMED = ["json", "json:", ":dumps", "json..x:dumps", "1json:dumps", "json:dumps()", "json: dumps", 3]


def test_one_shape_for_every_caller_each_wording_its_own_message():
    assert is_reference("json:JSONDecoder.decode") and resolve_reference("os.path:join") is os.path.join
    assert import_reference("json:JSONDecoder.decode", None, "fn") is json.JSONDecoder.decode
    for bad in MALFORMED:
        assert not is_reference(bad)
        with pytest.raises(ValueError, match="must be 'package.module:function'"):
            import_reference(bad, None, "function")
        if isinstance(bad, str):
            with pytest.raises(ValueError, match="training_fn must be a callable or a 'package.module:attr' string"):
                resolve_value(bad, "training_fn")
            with pytest.raises(ValueError, match="training_fn must be a callable or a 'package.module:attr'"):
                check_reference(bad, "training_fn")

    class Registers:
        @hookimpl
        def register_evaluators(self, register):
            register("bad", "json..x:dumps")

    manager = make_plugin_manager(entrypoints=False)
    manager.register(Registers(), name="r")  # the plugin is broken, not the manager
    assert manager.records["r"].broken and "bad" not in manager.registry.names("evaluators")
    assert "a lazy factory must look like 'package.module:attr'" in manager.records["r"].error["message"]
    assert resolve_value(len, "fn") is len  # an object is its own value
    with pytest.raises(ValueError, match="fn 'no_such_module_here:f' cannot be imported"):
        resolve_value("no_such_module_here:f", "fn")
    with pytest.raises(ValueError, match="fn: module 'json' has no 'nothing'"):
        import_reference("json:nothing", None, "fn")


def test_no_other_module_imports_by_name():
    """Every ``"module:attr"`` string resolves through ``nas_kernel.toolbox.references``: no other
    module of the kernel or of a plugin imports a module by name (``_imports`` runs a probe in a
    child interpreter that imports whole modules, no reference)."""
    root = Path(__file__).resolve().parent.parent
    allowed = {root / "nas_kernel/toolbox/references.py", root / "nas_kernel/testing/_imports.py"}
    sources = [*(root / "nas_kernel").rglob("*.py"), *(root / "plugins").glob("*/src/**/*.py")]
    offenders = [str(path.relative_to(root)) for path in sources if path not in allowed
                 and any(call in path.read_text(encoding="utf-8")
                         for call in ("import_module(", "resolve_name(", "__import__("))]
    assert offenders == []
    assert len(sources) > 100
