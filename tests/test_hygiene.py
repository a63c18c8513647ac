"""The kernel stays small: importing it or asking for help pulls in no plugin and no heavy library."""
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_nas_kernel_imports_no_heavy_library_and_no_plugin():
    code = ("import sys, nas_kernel, nas_kernel.cli, nas_kernel.loop, nas_kernel.config, nas_kernel.store; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'pandas', 'matplotlib', 'sklearn', 'ray')"
            " or m.startswith('nas_') and not m.startswith('nas_kernel')]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_nas_help_with_every_installed_plugin_imports_no_plugin_module():
    code = ("import sys\nfrom nas_kernel.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('MODULES', sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in "
            "('torch', 'pandas', 'matplotlib', 'sklearn', 'ray')}))")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    elapsed = time.perf_counter() - start
    assert out.strip().splitlines()[-1] == "MODULES []"
    print(f"nas --help took {elapsed:.2f} s")  # reported, not asserted: machines are noisy


def test_kernel_depends_on_no_plugin_distribution_and_never_imports_one():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    plugin_dists = {p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").exists()}
    assert not [d for d in project["dependencies"] if d.split(">")[0].split("=")[0].strip() in plugin_dists]
    for path in (ROOT / "nas_kernel").rglob("*.py"):
        text = path.read_text()
        for dist in plugin_dists:
            package = dist.replace("-", "_")
            assert f"import {package}" not in text and f"from {package}" not in text, f"{path} imports {package}"


def test_lazy_exports_import_on_first_use_and_list_names(tmp_path, monkeypatch):
    pkg = tmp_path / "fake_lazy_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from nas_kernel.lazy import lazy_exports\n"
                                     "__getattr__, __dir__ = lazy_exports(__name__, {'Thing': 'heavy'})\n")
    (pkg / "heavy.py").write_text("class Thing:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    mod = importlib.import_module("fake_lazy_pkg")
    assert "fake_lazy_pkg.heavy" not in sys.modules and "Thing" in dir(mod)
    assert mod.Thing.__module__ == "fake_lazy_pkg.heavy"
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        mod.Nope
