"""The kernel's public surface is written down, and plugins keep to it.

A module of ``nas_kernel`` is public unless a part of its dotted name starts with ``_``. Each
public module says what it offers in ``__all__``; the API reference (``docs/reference/api.md``)
lists every one of those names under the module's own heading, in the core or the toolbox
section; and the built-in plugins (their sources and their tests) import only such names, never a
private module or name. So a plugin author can read what is safe to rely on, and a kernel change
that removes or renames a public name shows up here instead of in a plugin's user's traceback.
"""
import ast
import functools
import importlib
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference" / "api.md"
_HEADING = re.compile(r"^#{2,4} `(nas_kernel(?:\.\w+)*)`", re.M)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.lru_cache(maxsize=None)
def public_modules():
    """Dotted names of every public module and package of the kernel, found from its files."""
    found = []
    for path in sorted((ROOT / "nas_kernel").rglob("*.py")):
        name = _module_name(path)
        if not any(part.startswith("_") for part in name.split(".")) and _is_package_path(path):
            found.append(name)
    return tuple(found)


def _is_package_path(path: Path) -> bool:
    """True when every folder from ``nas_kernel`` down to ``path`` is a package (templates are not)."""
    folder = path.parent
    while folder != ROOT:
        if not (folder / "__init__.py").exists():
            return False
        folder = folder.parent
    return True


def reference_sections():
    """``{module: its section's text}`` of the API reference, one section per module heading."""
    text = REFERENCE.read_text(encoding="utf-8")
    heads = list(_HEADING.finditer(text))
    sections = {}
    for head, following in zip(heads, heads[1:] + [None]):
        end = following.start() if following else len(text)
        sections[head.group(1)] = text[head.end():end]
    return sections


def listed(name: str, section: str) -> bool:
    """A name is listed when a code span of the section starts with it (``name``, ``name(...)``)."""
    return re.search(rf"`{re.escape(name)}[`(\[ ]", section) is not None


def exported(module_name: str):
    module = importlib.import_module(module_name)
    return module, getattr(module, "__all__", None)


def test_the_kernel_has_public_modules_in_the_core_and_the_toolbox():
    modules = public_modules()
    assert {"nas_kernel", "nas_kernel.api", "nas_kernel.toolbox", "nas_kernel.testing"} <= set(modules)
    assert "nas_kernel.toolbox.devices" in modules and "nas_kernel._plugin_listing" not in modules
    assert "nas_kernel.testing._search_space" not in modules


@pytest.mark.parametrize("module_name", public_modules())
def test_every_public_module_says_what_it_offers_and_the_reference_lists_it(module_name):
    module, names = exported(module_name)
    assert names is not None, f"{module_name} has no __all__: list its public names (or underscore the module)"
    assert len(names) == len(set(names)), f"{module_name}.__all__ names a name twice"
    missing = [n for n in names if not hasattr(module, n)
               and importlib.util.find_spec(f"{module_name}.{n}") is None]
    assert missing == [], f"{module_name}.__all__ names what the module does not have: {missing}"
    if not names:
        return
    sections = reference_sections()
    if module_name not in sections:
        pytest.fail(f"docs/reference/api.md has no heading for `{module_name}`")
    unlisted = [n for n in names if not listed(n, sections[module_name])]
    assert unlisted == [], f"docs/reference/api.md does not list {unlisted} under `{module_name}`"


def test_every_module_the_reference_names_is_public_and_says_what_it_offers():
    modules = set(public_modules())
    sections = reference_sections()
    assert len(sections) >= 20
    assert sorted(set(sections) - modules) == [], "headings of modules that are not public"
    assert [m for m in sections if not exported(m)[1]] == [], "headings of modules that offer nothing"


def test_the_reference_keeps_the_core_and_the_toolbox_apart():
    """The toolbox's modules are documented in the toolbox section, every other module in the core's."""
    text = REFERENCE.read_text(encoding="utf-8")
    core = text.index("## The core")
    toolbox = text.index("## The toolbox")
    for head in _HEADING.finditer(text):
        in_toolbox = head.group(1).startswith("nas_kernel.toolbox")
        if head.group(1) == "nas_kernel.testing" or head.group(1).startswith("nas_kernel.testing."):
            assert head.start() > core
            continue
        assert (head.start() > toolbox) == in_toolbox, f"`{head.group(1)}` is in the wrong section"


def _plugin_files():
    for path in sorted(ROOT.glob("plugins/*/**/*.py")):
        rel = path.relative_to(ROOT)
        if "build" in rel.parts or any(part.endswith(".egg-info") for part in rel.parts):
            continue
        yield rel, path


def kernel_imports():
    """``(file:line, module, name or None)`` for every import of the kernel in the built-in plugins'
    sources and tests (function bodies included)."""
    found = []
    for rel, path in _plugin_files():
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "nas_kernel":
                found += [(f"{rel}:{node.lineno}", node.module, alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                found += [(f"{rel}:{node.lineno}", alias.name, None) for alias in node.names
                          if alias.name.split(".")[0] == "nas_kernel"]
    return found


def test_plugins_import_only_public_names_of_public_kernel_modules():
    imports = kernel_imports()
    assert len({(module, name) for _, module, name in imports}) > 20
    private = [f"{where} imports {module}{'.' + name if name else ''}" for where, module, name in imports
               if any(part.startswith("_") for part in module.split(".")) or (name or "").startswith("_")]
    assert private == [], "plugins use a private part of the kernel:\n" + "\n".join(private)


def test_every_kernel_name_a_plugin_imports_is_public_and_in_the_reference():
    """What the built-ins rely on, a third-party plugin may rely on too: so it is in its module's
    ``__all__`` and a plugin author reads it in docs/reference/api.md under that module."""
    sections = reference_sections()
    problems = []
    for where, module_name, name in kernel_imports():
        if module_name not in public_modules():
            problems.append(f"{where}: {module_name} is not a public module")
            continue
        names = exported(module_name)[1] or []
        if name is not None and f"{module_name}.{name}" in public_modules():
            continue  # ``from nas_kernel import testing``: a public submodule, checked as a module
        if name is not None and name not in names:
            problems.append(f"{where}: {module_name}.{name} is not in {module_name}.__all__")
        elif name is not None and not listed(name, sections.get(module_name, "")):
            problems.append(f"{where}: docs/reference/api.md does not list {name} under `{module_name}`")
    problems = sorted(set(problems))
    assert problems == [], "\n".join(problems)
