"""The kernel stays small: importing it or asking for help pulls in no plugin and no heavy library."""
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_nas_kernel_imports_no_heavy_library_and_no_plugin():
    code = ("import sys, nas_kernel, nas_kernel.cli, nas_kernel.loop, nas_kernel.experiment.build, nas_kernel.store; "
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
    (pkg / "__init__.py").write_text("from nas_kernel.toolbox.lazy import lazy_exports\n"
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


def _plugin_packages():
    """``{distribution folder: its top-level package names}`` of every plugin under plugins/."""
    found = {}
    for dist in sorted(p for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").exists()):
        src = dist / "src"
        packages = {p.name for p in src.iterdir() if (p / "__init__.py").exists()} if src.is_dir() else set()
        if packages:
            found[dist] = packages
    return found


def _imported_packages(path: Path):
    """Top-level names imported anywhere in ``path`` (function bodies included)."""
    import ast

    text = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError:  # not this test's concern: read the import lines as text
        for line, source in enumerate(text.splitlines(), 1):
            match = re.match(r"\s*(?:from|import)\s+([A-Za-z_]\w*)", source)
            if match:
                yield line, match.group(1)
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def test_no_plugin_imports_or_requires_another_plugin():
    """Plugins meet only through the kernel (``nas_kernel.components.build_component``): no plugin's
    source imports another plugin's package, and no plugin requires another one (optional extras only)."""
    packages = _plugin_packages()
    assert len(packages) >= 5
    owner = {pkg: dist.name for dist, pkgs in packages.items() for pkg in pkgs}
    problems = []
    for dist, own in packages.items():
        for path in sorted((dist / "src").rglob("*.py")):
            for line, name in _imported_packages(path):
                if name in owner and name not in own:
                    problems.append(f"{path.relative_to(ROOT)}:{line} imports {name} ({owner[name]})")
        required = tomllib.loads((dist / "pyproject.toml").read_text())["project"].get("dependencies", [])
        for requirement in required:
            name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].strip().lower()
            if name in owner.values() and name != dist.name:
                problems.append(f"{dist.name}/pyproject.toml requires {name}: make it an optional extra")
    assert problems == []


def test_every_distribution_declares_the_python_the_kernel_needs():
    """The kernel reads TOML with ``tomllib`` (3.11); a plugin claiming less installs and then fails."""
    files = [ROOT / "pyproject.toml", *sorted((ROOT / "plugins").glob("*/pyproject.toml"))]
    claims = {str(f.relative_to(ROOT)): tomllib.loads(f.read_text())["project"].get("requires-python") for f in files}
    assert len(claims) >= 7
    assert {f: c for f, c in claims.items() if c != ">=3.11"} == {}
