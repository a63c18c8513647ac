"""``nas plugins new``: write a plugin distribution that installs, lists and passes its tests as is.

The files come from ``nas_kernel/templates/plugin`` (``common/`` for every kind, ``kinds/`` for
the starter component and its conformance test), filled with ``string.Template``. The starters
need no torch except the op, which is a torch module by definition.
"""
from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Dict, Union

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")


@dataclass(frozen=True)
class _Kind:
    module: str  # starter module (and template stem)
    hook: str
    plural: str  # registry kind
    singular: str
    suffix: str  # appended to the class name, or "" for a factory function
    what: str
    needs_torch: bool = False


KINDS: Dict[str, _Kind] = {
    "search-space": _Kind("search_space", "register_search_spaces", "search_spaces", "search space", "SearchSpace",
                          "A search space"),
    "evaluator": _Kind("evaluator", "register_evaluators", "evaluators", "evaluator", "Evaluator", "An evaluator"),
    "searcher": _Kind("searcher", "register_searchers", "searchers", "searcher", "Searcher", "A searcher"),
    "predictor": _Kind("predictor", "register_predictors", "predictors", "predictor", "Predictor", "A predictor"),
    "ops": _Kind("ops", "register_ops", "ops", "op", "", "A supergraph op", needs_torch=True),
}


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
    camel = "".join(part.capitalize() for part in names["component"].split("_"))
    attr = camel + spec.suffix if spec.suffix else f"make_{names['component']}"
    dependencies = ['"nas-kernel"'] + (['"torch>=2.1"'] if spec.needs_torch else [])
    values = dict(names, module=spec.module, hook=spec.hook, kind_plural=spec.plural, kind_singular=spec.singular,
                  attr=attr, what=spec.what, dependencies=", ".join(dependencies))
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
        f"{package_dir}/{spec.module}.py": templates / "kinds" / f"{spec.module}.py.tmpl",
        "tests/test_plugin.py": templates / "common" / "test_plugin.py.tmpl",
        "tests/test_conformance.py": templates / "kinds" / f"{spec.module}_test.py.tmpl",
    }
    rendered = {path: Template(source.read_text(encoding="utf-8")).substitute(values) for path, source in files.items()}
    target.mkdir(parents=True)
    for path, text in rendered.items():
        out = target / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    return target
