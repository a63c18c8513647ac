"""``check_plugin``: is this distribution installed, does it load cleanly on its own, and is every
component it registers usable? The datasette-template "is it installed" test, made stronger."""
from __future__ import annotations

import contextlib
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from nas_kernel.api import (AsyncModelEvaluator, DiscreteSearchSpace, ModelEvaluator, Predictor)
from nas_kernel.hookspecs import LIFECYCLE_HOOKS, REGISTRATION_HOOKS
from nas_kernel.plugins import KINDS, PluginError, factory_parameters, make_plugin_manager, singular
from nas_kernel.testing._imports import heavy_imports, loaded_heavy
from nas_kernel.testing._results import CheckFailed
from nas_kernel.testing._signature import signature_problems

#: kinds whose factories take only user parameters, and what building one must return
BUILT_TYPES = {"search_spaces": (DiscreteSearchSpace,), "evaluators": (ModelEvaluator, AsyncModelEvaluator),
               "predictors": (Predictor,)}


@contextlib.contextmanager
def _strict():
    old = os.environ.get("NAS_STRICT_PLUGINS")
    os.environ["NAS_STRICT_PLUGINS"] = "1"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("NAS_STRICT_PLUGINS", None)
        else:
            os.environ["NAS_STRICT_PLUGINS"] = old


def _factory_problems(entry: Any, label: str, skip_build: Sequence[str]) -> List[str]:
    try:
        factory = entry.load()
    except Exception as exc:
        return [f"{label}: {exc}"]
    if not callable(factory):
        return [f"{label}: the registered factory {factory!r:.60} is not callable"]
    problems = signature_problems(factory, entry.kind, label)
    if problems or entry.kind not in BUILT_TYPES or entry.name in skip_build:
        return problems
    if any(p.default is p.empty for p in factory_parameters(factory, entry.kind)):
        return []  # a required parameter: nothing to build with defaults alone
    try:
        built = factory()
    except Exception as exc:
        return [f"{label}: building it with its defaults raised {type(exc).__name__}: {exc} (every parameter has "
                f"a default, so `{entry.name}` alone in an experiment file would fail; pass skip_build="
                f"[{entry.name!r}] only if building needs resources a test cannot have)"]
    wanted = BUILT_TYPES[entry.kind]
    if not isinstance(built, wanted):
        return [f"{label}: building it with its defaults returned {type(built).__name__}; expected a "
                f"{' or '.join(t.__name__ for t in wanted)}"]
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
    unknown_kinds = sorted(set(expects or {}) - set(KINDS))
    if unknown_kinds:
        raise ValueError(f"expects has unknown kind(s) {unknown_kinds}; kinds are {list(KINDS)}")
    heavy_before = loaded_heavy()
    with _strict():
        try:
            manager = make_plugin_manager(entrypoints=True, only=[distribution])
            rows = manager.plugin_rows()  # builds the registries: registration hooks run here
        except PluginError as exc:
            raise CheckFailed(f"distribution {distribution!r}: {exc}") from exc
        if not manager.records:
            raise CheckFailed(f"distribution {distribution!r} has no `nas_kernel` entry point: is it installed "
                              "(`pip install -e .`) and does its pyproject declare [project.entry-points.nas_kernel]?")
        problems = [f"plugin {r['name']!r} is {r['status']} at {(r['error'] or {}).get('stage')}: "
                    f"{(r['error'] or {}).get('type')}: {(r['error'] or {}).get('message')}"
                    for r in rows if r["status"] != "ok"]
        specs = set(REGISTRATION_HOOKS) | set(LIFECYCLE_HOOKS) | {"register_commands"}
        for row in rows:
            problems += [f"plugin {row['name']!r}: hook {h!r} is not a NAS Kernel hook" for h in row["hooks"]
                         if h not in specs]
            if not row["hooks"]:
                problems.append(f"plugin {row['name']!r} ({row['module']}) implements no hook: is @nas_kernel.hookimpl "
                                "missing?")
            problems += [f"plugin {row['name']!r}: {c['kind']} {c['name']!r} conflicts with plugin {c['with']!r}"
                         for c in row["conflicts"]]
        modules = [r["module"] for r in rows if r["status"] == "ok" and r["module"]]
        for module, libraries in (heavy_imports(modules, heavy_before) if modules else {}).items():
            if libraries:
                problems.append(f"loading the entry-point module(s) {module} imports {', '.join(libraries)}: keep it "
                                "cheap (every `nas` command loads it) by registering lazy 'package.module:attr' "
                                "references and importing heavy libraries inside the factories")
        registry = manager.registry
        found = {kind: registry.names(kind) for kind in KINDS if registry.names(kind)}
        for kind, names in found.items():
            for name in names:
                entry = registry.get(kind, name)
                label = f"{singular(kind)} {name!r} ({entry.factory if isinstance(entry.factory, str) else 'callable'})"
                problems += _factory_problems(entry, label, skip_build)
    if expects is not None:
        wanted = {k: sorted(v) for k, v in expects.items() if list(v)}
        if wanted != found:
            problems.append(f"distribution {distribution!r} registers {found or 'nothing'}; expected exactly {wanted}")
    if problems:
        raise CheckFailed(f"distribution {distribution!r} fails check_plugin:\n  - " + "\n  - ".join(problems))
    return rows
