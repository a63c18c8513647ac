"""Plugins that fail in every way a plugin can, installed as real (fake) distributions and driven
through the real `nas` command: listing still works, searches that do not need them run, and a
search that needs one fails with a message naming it."""
import json

import pytest

from support import make_dist, run_nas

FAULTS = {
    "fake-import-fails": ("fake_import_fails", "raise ModuleNotFoundError(\"No module named 'timm'\")\n"),
    "fake-hook-raises": ("fake_hook_raises", """
from nas_kernel import hookimpl

@hookimpl
def register_search_spaces(register):
    register("resnet", "toy:ToySpace")
    raise RuntimeError("registration exploded")
"""),
    "fake-duplicate": ("fake_duplicate", """
from nas_kernel import hookimpl

@hookimpl
def register_search_spaces(register):
    register("toy", "toy:ToySpace")
    register("toy_copy", "toy:ToySpace")
"""),
    "fake-lifecycle-raises": ("fake_lifecycle_raises", """
from nas_kernel import hookimpl

@hookimpl
def on_start_iteration(searcher, iteration):
    if iteration == 2:
        raise ValueError("lifecycle exploded")
"""),
}


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    make_dist(root, "nas-toy", "0.1.0", {"toy": "toy"}, {})
    for dist, (module, source) in FAULTS.items():
        make_dist(root, dist, "0.3.0", {module: module}, {module: source})
    return root


ENV = {"NAS_LOAD_PLUGINS": ",".join(["nas-toy", *FAULTS])}


def test_listing_shows_every_fault_and_exits_0(site):
    result = run_nas(["plugins", "list", "--json"], pythonpath=[site], env_extra=ENV)
    assert result.returncode == 0
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["fake_import_fails"]["error"]["stage"] == "import"
    assert rows["fake_hook_raises"]["error"]["stage"] == "hook register_search_spaces"
    assert rows["fake_hook_raises"]["components"] == {}
    assert rows["fake_duplicate"]["conflicts"] == [{"kind": "search_spaces", "name": "toy", "with": "toy"}]
    assert rows["fake_lifecycle_raises"]["status"] == "ok"
    table = run_nas(["plugins", "list"], pythonpath=[site], env_extra=ENV)
    assert table.returncode == 0 and "5 plugins: 3 ok, 2 broken." in table.stdout
    assert "conflict: search_spaces 'toy' registered by 'fake_duplicate' and 'toy'; neither is usable." in table.stdout


def test_search_not_needing_them_runs_and_a_lifecycle_fault_is_survived(site, experiment):
    path, out = experiment
    path.write_text(path.read_text().replace("{name: toy}", "{name: toy_copy}"))
    result = run_nas(["search", str(path), "-q"], pythonpath=[site], env_extra=ENV)
    assert result.returncode == 0, result.stderr
    assert "plugin 'fake_import_fails' (fake-import-fails 0.3.0) failed to load" in result.stderr
    assert "plugin 'fake_lifecycle_raises' (fake-lifecycle-raises 0.3.0) failed to load: ValueError: " \
           "lifecycle exploded" in result.stderr
    assert (out / "search_state.csv").exists()


@pytest.mark.parametrize("space,message", [
    ("resnet", "unknown search space 'resnet'"),
    ("toy", "search space 'toy' is registered by both 'fake_duplicate' (fake-duplicate 0.3.0) and 'toy'"),
])
def test_search_needing_a_faulty_plugin_names_it(site, experiment, space, message):
    path, out = experiment
    path.write_text(path.read_text().replace("{name: toy}", f"{{name: {space}}}"))
    result = run_nas(["search", str(path), "-q"], pythonpath=[site], env_extra=ENV)
    assert result.returncode == 2 and message in result.stderr
    if space == "resnet":
        assert "broken plugin(s) 'fake_hook_raises' (fake-hook-raises 0.3.0)" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_strict_mode_turns_a_lifecycle_fault_into_a_failed_search(site, experiment):
    path, out = experiment
    path.write_text(path.read_text().replace("{name: toy}", "{name: toy_copy}"))
    env = dict(ENV, NAS_LOAD_PLUGINS="nas-toy,fake-lifecycle-raises,fake-duplicate", NAS_STRICT_PLUGINS="1")
    result = run_nas(["search", str(path), "-q"], pythonpath=[site], env_extra=env)
    assert result.returncode == 1 and "lifecycle exploded" in result.stderr
