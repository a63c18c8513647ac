"""The kernel's modules import each other without a circle, and a run's status has one writer
(``RunSession._set_status``: the run's owner; ``tests/test_loop.py`` checks the status each end of
a run records).

A circle of imports means two modules each need the other to make sense: neither can change
alone, and the order of imports starts to matter (the reason for function-level imports that hide
the circle from the interpreter, not from the reader). The graph here is read from the source
(``ast``), with the imports inside functions counted as edges: a hidden circle is still a circle.

An edge goes to the module an import statement names: ``from nas_kernel.api import results`` goes
to ``nas_kernel.api.results`` (a submodule), ``from nas_kernel.api import SearchResults`` to the
package ``nas_kernel.api``. The implicit import of a module's parent packages is not an edge: a
package that re-exports its modules would otherwise close a circle with each of them.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, List, Set

ROOT = Path(__file__).resolve().parent.parent
KERNEL = ROOT / "nas_kernel"


def module_name(path: Path, package: Path) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules(package: Path) -> Dict[str, Path]:
    return {module_name(p, package): p for p in sorted(package.rglob("*.py"))}


def _absolute(module: str, node: ast.ImportFrom, path: Path) -> str:
    """The module an ``ImportFrom`` names, relative imports resolved against ``module``."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph(package: Path = KERNEL) -> Dict[str, Set[str]]:
    """``{module: the modules of the package it imports}`` over every module of ``package``."""
    modules = package_modules(package)
    graph: Dict[str, Set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            targets: List[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                source = _absolute(name, node, path)
                targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                           for alias in node.names]
            for target in targets:
                while target and target not in modules:  # ``import a.b.c`` of a name inside a module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
                elif target == name:
                    graph[name].add(name)
    return graph


def strongly_connected(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """The groups of modules that reach each other (Tarjan), each sorted; a module that imports
    itself is a group of one."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    groups: List[List[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1 or node in graph[node]:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_graph_sees_function_level_relative_and_submodule_imports(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from pkg.sub import leaf\n")
    (pkg / "sub" / "__init__.py").write_text("from .leaf import Leaf\n")
    (pkg / "sub" / "leaf.py").write_text("import json\nclass Leaf:\n    pass\n")
    (pkg / "top.py").write_text("import pkg.sub.leaf as leaf\n\ndef later():\n    from pkg import late\n")
    (pkg / "late.py").write_text("def f():\n    from .sub import Leaf\n    from . import top\n")
    assert import_graph(pkg) == {
        "pkg": {"pkg.sub.leaf"},  # a submodule named in ``from pkg.sub import leaf``
        "pkg.sub": {"pkg.sub.leaf"},  # relative, in a package's __init__
        "pkg.sub.leaf": set(),  # json is not of the package
        "pkg.top": {"pkg.sub.leaf", "pkg.late"},  # the one inside a function too
        "pkg.late": {"pkg.sub", "pkg.top"},  # a name of the package, and a relative module
    }
    assert strongly_connected(import_graph(pkg)) == [["pkg.late", "pkg.top"]]  # hidden in functions


def test_the_graph_reads_the_whole_kernel():
    graph = import_graph()
    assert len(graph) > 50 and "nas_kernel.run_session" in graph["nas_kernel.loop"]


def test_the_cycle_finder_finds_a_hidden_circle():
    circle = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert strongly_connected(circle) == [["a", "b", "c"], ["e"]]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def test_the_kernel_has_no_import_cycle():
    cycles = strongly_connected(import_graph())
    assert cycles == [], "modules of nas_kernel that import each other (function-level imports included): " + \
        "; ".join(" <-> ".join(group) for group in cycles)


# ---- the run's status has one writer ------------------------------------------------------------------
_SQL_WRITE = re.compile(r"\b(insert|replace|update)\b.*\bmeta\b", re.IGNORECASE | re.DOTALL)


def status_writers(paths, root: Path = ROOT) -> Set[str]:
    """``file:Class.function`` of every place that writes a run's status: a ``set_meta("status",
    ...)`` call, a ``set_meta``/``set_json`` whose key is not written out (it could be the status;
    only the store's own plumbing, ``store.py``, may pass one on), or SQL text that writes the meta
    table and names the status."""
    found: Set[str] = set()

    class Visitor(ast.NodeVisitor):
        def __init__(self, where: str) -> None:
            self.where, self.scope = where, []

        def _scoped(self, node) -> None:
            self.scope.append(node.name)
            self.generic_visit(node)
            self.scope.pop()

        visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scoped

        def _found(self) -> None:
            found.add(f"{self.where}:{'.'.join(self.scope) or '<module>'}")

        def visit_Call(self, node: ast.Call) -> None:
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            first = node.args[0] if node.args else None
            if name in ("set_meta", "set_json") and first is not None:
                literal = isinstance(first, ast.Constant)
                if (first.value == "status") if literal else not self.where.endswith("store.py"):
                    self._found()
            self.generic_visit(node)

        def visit_Constant(self, node: ast.Constant) -> None:
            if isinstance(node.value, str) and "status" in node.value and _SQL_WRITE.search(node.value):
                self._found()

    for path in paths:
        Visitor(str(path.relative_to(root))).visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return found


def test_status_writers_are_found_in_calls_and_sql(tmp_path):
    source = tmp_path / "writes.py"
    source.write_text("class Run:\n    def end(self, store):\n        store.set_meta('status', 'x')\n"
                      "def sql(conn):\n    conn.execute(\"UPDATE meta SET value='x' WHERE key='status'\")\n"
                      "def other(store):\n    store.set_meta('pid', '1')\n"
                      "def hidden(store):\n    for key in ('status', 'pid'):\n        store.set_meta(key, 'x')\n")
    assert status_writers([source], tmp_path) == {"writes.py:Run.end", "writes.py:sql", "writes.py:hidden"}


def test_one_function_writes_the_run_status():
    sources = sorted(KERNEL.rglob("*.py")) + sorted((ROOT / "plugins").glob("*/src/**/*.py"))
    assert status_writers(sources) == {"nas_kernel/run_session.py:RunSession._set_status"}
