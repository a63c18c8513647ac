"""``import_reference``: a module next to the experiment file wins over a same-named one elsewhere
on ``sys.path``, and a second experiment in another folder gets its own module, not the cached one."""
import sys

import pytest

from nas_kernel.toolbox.references import import_reference


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
