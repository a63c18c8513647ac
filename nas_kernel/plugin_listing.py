"""What ``nas plugins list`` and ``nas components`` print."""
from __future__ import annotations

import inspect
from typing import Any, Dict, List, Sequence

from nas_kernel.jsonable import plain
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
