"""What ``nas plugins list`` and ``nas components`` print."""
from __future__ import annotations

import inspect
from typing import Any, Dict, List, Optional, Sequence

from nas_kernel.jsonable import plain
from nas_kernel.kinds import KEYS
from nas_kernel.plugins import ComponentError, NasPluginManager
from nas_kernel.tables import render


def render_plugins(rows: List[Dict[str, Any]]) -> str:
    table = []
    for row in rows:
        if row["status"] == "broken":
            err = row["error"] or {}
            detail = f"{err.get('stage')}: {err.get('type')}: {_first_line(err.get('message', ''))}"
        else:
            detail = "\n".join(f"{kind}: {', '.join(names)}" for kind, names in row["components"].items()) or "-"
        table.append([row["name"], row["distribution"] or "-", row["version"] or "-", row["status"], detail])
    lines = [render(["NAME", "DISTRIBUTION", "VERSION", "STATUS", "COMPONENTS"], table)] if rows else []
    broken = sum(1 for r in rows if r["status"] == "broken")
    summary = f"{len(rows)} plugin{'s' if len(rows) != 1 else ''}: {len(rows) - broken} ok, {broken} broken."
    if broken:
        summary += " Details: nas plugins list --json"
    lines.append(summary)
    seen = set()
    for row in rows:
        for c in row["conflicts"]:
            key = (c["kind"], c["name"])
            if key not in seen:
                seen.add(key)
                lines.append(f"conflict: {c['kind']} {c['name']!r} registered by '{row['name']}' and "
                             f"'{c['with']}'; neither is usable.")
    return "\n".join(lines)


def component_rows(manager: NasPluginManager, kinds: Sequence[str]) -> List[Dict[str, Any]]:
    registry = manager.registry
    rows = []
    for kind in kinds:
        for name in registry.names(kind):
            entry = registry.get(kind, name)
            row: Dict[str, Any] = {"kind": kind, "name": name, "plugin": entry.plugin.name,
                                   "distribution": entry.plugin.distribution, "parameters": [], "error": None}
            try:
                for p in entry.parameters():
                    required = p.default is inspect.Parameter.empty
                    row["parameters"].append({"name": p.name, "required": required,
                                              "default": None if required else plain(p.default, repr)})
                factory = entry.load()
                doc = inspect.getdoc(factory) or ""
                row["summary"] = doc.strip().splitlines()[0] if doc.strip() else ""
            except (ComponentError, TypeError, ValueError) as exc:
                row["error"] = str(exc)
            rows.append(row)
    return rows


def check_rows(manager: NasPluginManager, plugin: str) -> List[Dict[str, Any]]:
    """Import every component ``plugin`` registers (``nas plugins list`` never does: components
    are lazy) and say which fail, naming a method that overrides without ``@overrides`` and its
    class (a bug in the plugin's code, which no reinstall fixes)."""
    registry = manager.registry
    rows = []
    for kind in KEYS:
        for name in registry.names(kind):
            entry = registry.get(kind, name)
            if entry.plugin.name != plugin:
                continue
            row = {"kind": kind, "name": name, "status": "ok", "error": None}
            try:
                entry.load()
            except ComponentError as exc:
                row["status"] = "error"
                row["error"] = override_problem(exc) or _first_line(str(exc))
            rows.append(row)
    return rows


def override_problem(exc: BaseException) -> Optional[str]:
    """``class pkg.mod.MySpace: method mutate overrides EvolutionarySearchSpace.mutate without
    @overrides ...`` when ``exc`` (or its cause) is the ``overrides`` package refusing a class."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    text = str(cause)
    if not (isinstance(cause, TypeError) and "does not have @override" in text):
        return None
    owner = "a class"
    tb = cause.__traceback__
    while tb is not None:  # the class being defined is in the namespace overrides' metaclass checks
        namespace = tb.tb_frame.f_locals.get("namespace")
        if isinstance(namespace, dict) and "__qualname__" in namespace:
            owner = f"class {namespace.get('__module__', '?')}.{namespace['__qualname__']}"
        tb = tb.tb_next
    method = text.split()[1] if text.startswith("Method ") else "a method"
    base = text.split("<class '")[1].split("'")[0].rsplit(".", 1)[-1] if "<class '" in text else "its base"
    return (f"{owner}: method {method} overrides {base}.{method} without @overrides; this is a bug in the "
            f"plugin's code (decorate it: from overrides import overrides)")


def render_checks(plugin: str, rows: List[Dict[str, Any]]) -> str:
    table = [[r["kind"], r["name"], r["status"], r["error"] or "-"] for r in rows]
    bad = sum(1 for r in rows if r["status"] != "ok")
    lines = [render(["KIND", "NAME", "STATUS", "PROBLEM"], table)] if rows else []
    lines.append(f"{plugin}: {len(rows)} component{'s' if len(rows) != 1 else ''}, {bad} failing.")
    return "\n".join(lines)


def render_components(rows: List[Dict[str, Any]]) -> str:
    table = []
    for row in rows:
        if row["error"]:
            params = f"error: {row['error']}"
        else:
            params = ", ".join(p["name"] if p["required"] else f"{p['name']}={p['default']!r}"
                               for p in row["parameters"]) or "-"
        table.append([row["kind"], row["name"], row["plugin"], params])
    if not table:
        return "no components registered: install plugins (see 'nas plugins list')"
    return render(["KIND", "NAME", "PLUGIN", "PARAMETERS"], table)


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""
