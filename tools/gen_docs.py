"""Generate the reference pages from the code, so docs never drift from it:

- docs/plugins/hooks.md      from the hookspec docstrings (with the built-in plugins implementing each)
- docs/reference/cli.md      from `nas ... --help`
- docs/reference/components.md from the registries of the installed plugins

`python tools/gen_docs.py` rewrites them; `--check` exits 1 when a page is stale (tests run it).
"""
from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def builtin_distributions() -> set:
    """Names of the distributions under plugins/ (the built-ins; third parties are left out)."""
    import tomllib

    return {tomllib.loads(p.read_text())["project"]["name"] for p in ROOT.glob("plugins/*/pyproject.toml")}


def hooks_page() -> str:
    from nas_kernel import hookspecs
    from nas_kernel.plugins import make_plugin_manager

    manager = make_plugin_manager()
    implemented = {}
    builtins = builtin_distributions()
    for record in sorted(manager.records.values(), key=lambda r: r.name):
        if record.distribution in builtins and not record.broken:
            for hook in record.hooks:
                implemented.setdefault(hook, []).append(f"`{record.name}` ({record.distribution})")
    from nas_kernel.kinds import KINDS

    lines = ["# Hook reference", "",
             "Generated from `nas_kernel/hookspecs.py` (the registration hooks from the kinds table "
             "`nas_kernel/kinds.py`) by `tools/gen_docs.py`; do not edit by hand.", "",
             inspect.getdoc(hookspecs), ""]
    sections = [("Registration hooks", "called once per plugin manager, after every plugin has loaded",
                 [k.hook for k in KINDS] + ["register_commands"]),
                ("Lifecycle hooks", "called during a search: the start and end by the run's owner (`nas_kernel.run_session`), "
                 "each iteration by `nas_kernel.loop`", list(hookspecs.LIFECYCLE_HOOKS)),
                ("Conformance-kit hook", "called by the conformance kit (`nas_kernel.testing`) for each component "
                 "it checks", ["conformance_checks"])]
    for title, when, names in sections:
        lines += [f"# {title}", "", f"*{when.capitalize()}.*", ""]
        for name in names:
            fn = getattr(hookspecs, name)
            args = ", ".join(inspect.signature(fn).parameters)
            lines += [f"## `{name}({args})`", "", _indent_code(inspect.getdoc(fn)), ""]
            users = implemented.get(name)
            lines += [f"Implemented by: {', '.join(users) if users else 'no built-in plugin'}.", ""]
    return "\n".join(lines).rstrip() + "\n"


def _indent_code(doc: str) -> str:
    """Turn the docstring's indented Example block into a fenced code block."""
    out, in_example = [], False
    for line in doc.splitlines():
        if line.strip() == "Example:":
            out += ["Example:", "", "```python"]
            in_example = True
            continue
        if in_example and line and not line.startswith("    "):
            out += ["```", ""]
            in_example = False
        out.append(line[4:] if in_example else line)
    if in_example:
        out.append("```")
    return "\n".join(out)


def cli_page() -> str:
    from click.testing import CliRunner

    from nas_kernel.cli import make_cli
    from nas_kernel.plugins import call_register_commands, make_plugin_manager

    cli = make_cli()
    kernel_commands = set(cli.commands)
    manager = make_plugin_manager(only=builtin_distributions())
    call_register_commands(manager, cli)
    runner = CliRunner()
    commands = [[], ["plugins"], ["plugins", "list"], ["plugins", "new"], ["components"], ["search"],
                ["results"], ["results", "show"], ["results", "plot"]]
    commands += [[name] for name in sorted(set(cli.commands) - kernel_commands)]  # from built-in plugins
    lines = ["# CLI reference", "", "Generated from `nas ... --help` by `tools/gen_docs.py`; do not edit by hand.",
             "Plugins may add commands (`register_commands`); `nas --help` lists what is installed.", "",
             "Exit codes: 0 ok, 1 the search failed, 2 bad input (file, key, value, unknown component), "
             "130 interrupted (the store keeps everything finished; resume with `--resume`).", ""]
    for words in commands:
        result = runner.invoke(cli, words + ["--help"], prog_name="nas", obj=None)
        lines += [f"## `nas {' '.join(words)}`".replace("`nas `", "`nas`"), "", "```", result.output.rstrip(), "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def components_page() -> str:
    from nas_kernel.kinds import KEYS as KINDS
    from nas_kernel._plugin_listing import component_rows
    from nas_kernel.plugins import make_plugin_manager

    manager = make_plugin_manager()
    rows = component_rows(manager, list(KINDS))
    lines = ["# Built-in components", "",
             "Generated from the plugin registries by `tools/gen_docs.py` (`nas components --json` shows the "
             "same for whatever is installed); do not edit by hand.", ""]
    builtins = builtin_distributions()
    for kind in KINDS:
        kind_rows = [r for r in rows if r["kind"] == kind and r["distribution"] in builtins]
        if not kind_rows:
            continue
        lines += [f"## {kind.replace('_', ' ')}", "", "| name | plugin | summary | parameters |", "|---|---|---|---|"]
        for r in kind_rows:
            params = ", ".join(f"`{p['name']}`" if p["required"] else f"`{p['name']}={p['default']!r}`"
                               for p in r["parameters"]) or "-"
            summary = (r.get("summary") or "").replace("|", "\\|")
            lines.append(f"| `{r['name']}` | {r['distribution']} | {summary} | {params} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


PAGES = {"docs/plugins/hooks.md": hooks_page, "docs/reference/cli.md": cli_page,
         "docs/reference/components.md": components_page}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if a page is out of date")
    parser.add_argument("pages", nargs="*", default=list(PAGES))
    args = parser.parse_args()
    stale = []
    for rel in args.pages:
        text = PAGES[rel]()
        path = ROOT / rel
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(rel)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    for rel in stale:
        print(f"stale: {rel} (run: python tools/gen_docs.py)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
