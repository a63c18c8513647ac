"""`nas plugins new` writes a distribution that installs, lists, and passes its own tests unchanged."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nas_kernel._scaffold import KINDS, create_plugin
from nas_kernel.plugins import make_plugin_manager

VENV_PIP = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "pip"


def _pytest(folder: Path, *args: str, pythonpath: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("NAS_LOAD_PLUGINS", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=folder, capture_output=True, text=True, env=env, timeout=300)


def test_every_kind_generates_a_starter_that_passes_the_kit(tmp_path):
    """Without installing: the conformance tests of every kind pass from the source folder."""
    folders = [create_plugin(f"nas-new-{kind}", kind, tmp_path) for kind in KINDS]
    tests = [str(f / "tests" / "test_conformance.py") for f in folders]
    result = _pytest(tmp_path, "--import-mode=importlib", *tests,
                     pythonpath=os.pathsep.join(str(f / "src") for f in folders))
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_generated_search_space_installs_lists_and_passes_its_tests(tmp_path):
    # not "nas-...": tools that list the built-in plugins by that prefix must not see it while installed
    dist = f"kit-scaffold-check-{os.getpid()}"
    folder = create_plugin(dist, "search-space", tmp_path)
    package = dist.replace("-", "_")
    assert (folder / "src" / package / "plugin.py").is_file()
    pip = str(VENV_PIP) if VENV_PIP.exists() else None
    if pip is None:
        pytest.skip("the shared virtualenv's pip is not there")
    install = subprocess.run([pip, "install", "-q", "--no-deps", "--no-build-isolation", "-e", str(folder)],
                             capture_output=True, text=True, timeout=300)
    try:
        assert install.returncode == 0, install.stderr
        # this process has not run the editable install's .pth file: put the source on the path
        sys.path.insert(0, str(folder / "src"))
        try:
            manager = make_plugin_manager(entrypoints=True, only=[dist])
            rows = manager.plugin_rows()
        finally:
            sys.path.remove(str(folder / "src"))
            for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
                del sys.modules[name]
        assert [(r["name"], r["distribution"], r["status"], r["components"]) for r in rows] == [
            (package, dist, "ok", {"search_spaces": [package]})]

        listing = subprocess.run([sys.executable, "-m", "nas_kernel.cli", "plugins", "list", "--json"],
                                 capture_output=True, text=True, timeout=120,
                                 env={**os.environ, "NAS_LOAD_PLUGINS": dist})
        assert listing.returncode == 0, listing.stderr
        assert [r["status"] for r in json.loads(listing.stdout) if r["name"] == package] == ["ok"]

        result = _pytest(folder)  # the generated tests, unchanged, against the installed plugin
        assert result.returncode == 0, result.stdout + result.stderr
        assert "failed" not in result.stdout and "error" not in result.stdout.lower()
    finally:
        subprocess.run([pip, "uninstall", "-y", "-q", dist], capture_output=True, text=True, timeout=300)


def test_names_and_errors(tmp_path):
    folder = create_plugin("nas_my_spaces", "predictor", tmp_path)
    assert folder == tmp_path / "nas-my-spaces"
    text = (folder / "pyproject.toml").read_text()
    assert 'name = "nas-my-spaces"' in text and 'nas_my_spaces = "nas_my_spaces.plugin"' in text
    assert '"torch' not in text  # only ops need torch
    assert 'register("my_spaces", "nas_my_spaces.predictor:MySpacesPredictor")' in (
        folder / "src" / "nas_my_spaces" / "plugin.py").read_text()
    assert "torch>=2.3" in (create_plugin("nas-my-ops", "ops", tmp_path) / "pyproject.toml").read_text()
    with pytest.raises(FileExistsError, match="nas-my-spaces already exists"):
        create_plugin("nas-my-spaces", "search-space", tmp_path)
    for bad in ("My-Spaces", "1abc", "a--b", "nas-kernel", "class", "", "bad name"):
        with pytest.raises(ValueError, match="is not valid"):
            create_plugin(bad, "search-space", tmp_path)
    with pytest.raises(ValueError, match="unknown plugin kind 'space'; choose one of: search-space, evaluator"):
        create_plugin("nas-x", "space", tmp_path)
    assert not (tmp_path / "nas-x").exists()
