"""``check_plugin``: is this distribution installed, does it load cleanly on its own, and is every
component it registers usable? The datasette-template "is it installed" test, made stronger."""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from nas_kernel.kinds import BY_KEY, KEYS, label
from nas_kernel.plugins import PluginError, make_plugin_manager
from nas_kernel.registry import factory_parameters
from nas_kernel.testing._imports import heavy_imports, loaded_heavy
from nas_kernel.testing._results import CheckFailed
from nas_kernel.testing._signature import signature_problems


def _factory_problems(entry: Any, what: str, skip_build: Sequence[str]) -> List[str]:
    try:
        factory = entry.load()  # also refuses a factory that is not callable
    except Exception as exc:
        return [f"{what}: {exc}"]
    problems = signature_problems(factory, entry.kind, what)
    kind = BY_KEY[entry.kind]
    if problems or not kind.built_by_check_plugin or entry.name in skip_build:
        return problems
    if any(p.default is p.empty for p in factory_parameters(factory, entry.kind)):
        return []  # a required parameter: nothing to build with defaults alone
    try:
        built = factory()
    except Exception as exc:
        return [f"{what}: building it with its defaults raised {type(exc).__name__}: {exc} (every parameter has "
                f"a default, so `{entry.name}` alone in an experiment file would fail; pass skip_build="
                f"[{entry.name!r}] only if building needs resources a test cannot have)"]
    if not isinstance(built, kind.contract_types()):
        return [f"{what}: building it with its defaults returned {type(built).__name__}; expected a "
                f"{kind.contract_names()}"]
    return []


def check_plugin(distribution: str, *, expects: Optional[Mapping[str, Iterable[str]]] = None,
                 skip_build: Sequence[str] = ()) -> List[Dict[str, Any]]:
    """Load only ``distribution``'s ``nas_kernel`` entry points into a fresh manager, in strict mode,
    and check it: every plugin status ``ok``, hookimpls valid, every factory importable, callable,
    with an introspectable keyword signature, entry-point modules that import no heavy library
    (torch, pandas, ...: ``_imports.HEAVY``), built with its defaults (search spaces, evaluators,
    predictors whose parameters all have defaults, except names in ``skip_build``) into the right
    ABC, and, with ``expects`` (``{kind: [names]}``), exactly those components. Raises
    ``CheckFailed`` listing every problem; returns the plugins' ``nas plugins list --json`` rows."""
    unknown_kinds = sorted(set(expects or {}) - set(KEYS))
    if unknown_kinds:
        raise ValueError(f"expects has unknown kind(s) {unknown_kinds}; kinds are {list(KEYS)}")
    heavy_before = loaded_heavy()
    try:  # a strict manager: the first plugin error raises, with its traceback as the cause
        manager = make_plugin_manager(entrypoints=True, only=[distribution], strict=True)
    except PluginError as exc:
        raise CheckFailed(f"distribution {distribution!r}: {exc}") from exc
    rows = manager.plugin_rows()
    if not manager.records:
        raise CheckFailed(f"distribution {distribution!r} has no `nas_kernel` entry point: is it installed "
                          "(`pip install -e .`) and does its pyproject declare [project.entry-points.nas_kernel]?")
    problems = []
    for row in rows:  # a strict manager has no broken plugin; unknown hooks are refused when registering
        if not row["hooks"]:
            problems.append(f"plugin {row['name']!r} ({row['module']}) implements no hook: is @nas_kernel.hookimpl "
                            "missing?")
        problems += [f"plugin {row['name']!r}: {c['kind']} {c['name']!r} conflicts with plugin {c['with']!r}"
                     for c in row["conflicts"]]
    modules = [r["module"] for r in rows if r["module"]]
    for module, libraries in (heavy_imports(modules, heavy_before) if modules else {}).items():
        if libraries:
            problems.append(f"loading the entry-point module(s) {module} imports {', '.join(libraries)}: keep it "
                            "cheap (every `nas` command loads it) by registering lazy 'package.module:attr' "
                            "references and importing heavy libraries inside the factories")
    registry = manager.registry
    found = {kind: registry.names(kind) for kind in KEYS if registry.names(kind)}
    for kind, names in found.items():
        for name in names:
            entry = registry.get(kind, name)
            where = entry.factory if isinstance(entry.factory, str) else "callable"
            problems += _factory_problems(entry, f"{label(kind)} {name!r} ({where})", skip_build)
    if expects is not None:
        wanted = {k: sorted(v) for k, v in expects.items() if list(v)}
        if wanted != found:
            problems.append(f"distribution {distribution!r} registers {found or 'nothing'}; expected exactly {wanted}")
    if problems:
        raise CheckFailed(f"distribution {distribution!r} fails check_plugin:\n  - " + "\n  - ".join(problems))
    return rows
