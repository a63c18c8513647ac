"""``nas plugins new``: write a plugin distribution that installs, lists and passes its tests as is.

The files come from ``nas_kernel/templates/plugin`` (``common/`` for every kind, ``kinds/`` for
the starter component and its conformance test), filled with ``string.Template``. The starters
need no torch except the op (a torch module by definition) and the dataset (torch tensors).
"""
from __future__ import annotations

import keyword
import re
from importlib import resources
from pathlib import Path
from string import Template
from typing import Dict, Union

from nas_kernel.kinds import BY_CLI, Kind

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")


#: ``nas plugins new --kind`` value -> kind record (``search-space``, ``evaluator``, ..., ``dataset``)
KINDS: Dict[str, Kind] = dict(BY_CLI)


def plugin_names(name: str) -> Dict[str, str]:
    """Distribution, package (also the entry-point name) and component names for NAME.

    NAME is the distribution (``_`` read as ``-``); the package is NAME with ``_``; the
    component is the package without a leading ``nas_`` (``nas-my-spaces`` -> ``my_spaces``).
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"plugin name {name!r} is not valid: use lower-case letters, digits and '-' "
                         "(e.g. 'nas-my-spaces'), starting with a letter")
    dist = name.replace("_", "-")
    package = dist.replace("-", "_")
    if keyword.iskeyword(package) or package in ("nas_kernel", "nas", "test", "tests"):
        raise ValueError(f"plugin name {name!r} is not valid: its package {package!r} would shadow another module")
    component = package[4:] if package.startswith("nas_") and len(package) > 4 else package
    return {"dist": dist, "package": package, "component": component}


def create_plugin(name: str, kind: str = "search-space", directory: Union[str, Path] = ".") -> Path:
    """Write the distribution NAME for a component of ``kind`` into ``directory/NAME``; return that path.

    Raises ``ValueError`` for an invalid NAME or kind and ``FileExistsError`` when the target
    folder exists (nothing is overwritten).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown plugin kind {kind!r}; choose one of: {', '.join(KINDS)}")
    names = plugin_names(name)
    spec = KINDS[kind]
    module = spec.cli.replace("-", "_")  # the starter module and its template stem
    camel = "".join(part.capitalize() for part in names["component"].split("_"))
    attr = camel + spec.starter_suffix if spec.starter_suffix else f"make_{names['component']}"
    dependencies = ['"nas-kernel"'] + (['"torch>=2.3"'] if spec.needs_torch else [])
    what = f"{'An' if spec.label[0] in 'aeiou' else 'A'} {spec.label}"
    values = dict(names, module=module, hook=spec.hook, kind_plural=spec.key, kind_singular=spec.label,
                  attr=attr, what=what, dependencies=", ".join(dependencies))
    target = Path(directory) / names["dist"]
    if target.exists():
        raise FileExistsError(f"{target} already exists; choose another name or directory")
    templates = resources.files("nas_kernel") / "templates" / "plugin"
    package_dir = f"src/{names['package']}"
    files = {
        "pyproject.toml": templates / "common" / "pyproject.toml.tmpl",
        "README.md": templates / "common" / "README.md.tmpl",
        f"{package_dir}/__init__.py": templates / "common" / "__init__.py.tmpl",
        f"{package_dir}/plugin.py": templates / "common" / "plugin.py.tmpl",
        f"{package_dir}/{module}.py": templates / "kinds" / f"{module}.py.tmpl",
        "tests/test_plugin.py": templates / "common" / "test_plugin.py.tmpl",
        "tests/test_conformance.py": templates / "kinds" / f"{module}_test.py.tmpl",
    }
    rendered = {path: Template(source.read_text(encoding="utf-8")).substitute(values) for path, source in files.items()}
    target.mkdir(parents=True)
    for path, text in rendered.items():
        out = target / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    return target
