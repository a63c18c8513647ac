"""The store has one reader and the run directory's names one home: rules read from the source.

Why: the join of a run's evaluations with its candidates (which row is a candidate's value) was
once written in the exports, the plots, ``nas results``, the trackers and the dashboard, each a
little differently. Now ``nas_kernel.store_reader`` is the only module besides the store itself
(``nas_kernel.store``: the schema, the writer and its reads on resume) that queries a store, and
``nas_kernel.run_files`` the only one that spells a run directory's file names. These tests parse
the kernel's and every plugin's source (``ast``), so a new consumer that queries the store or
spells ``pareto.json`` itself fails here, naming the file and line. A second test checks that
the one join gives the plots and ``nas results`` the same numbers on a multi-fidelity store.
"""
from __future__ import annotations

import ast
import functools
import math
import re
from pathlib import Path
from typing import Iterator, List, Set, Tuple

import nas_kernel.run_files as run_files
from nas_kernel.api.evaluation import Evaluation
from nas_kernel.result_plots import read_series
from nas_kernel.store import Store
from nas_kernel.store_reader import load_results, read_run

ROOT = Path(__file__).resolve().parent.parent
#: the modules allowed to query a store
STORE_MODULES = {"nas_kernel/store.py", "nas_kernel/store_reader.py"}
SELECT = re.compile(r"\bSELECT\b.+\bFROM\b", re.IGNORECASE | re.DOTALL)


def source_files() -> List[Path]:
    """Every module of the kernel and of every plugin's distribution (not their tests)."""
    files = sorted((ROOT / "nas_kernel").rglob("*.py"))
    for src in sorted(ROOT.glob("plugins/*/src")):
        files += sorted(p for p in src.rglob("*.py") if "/build/" not in str(p))
    return files


@functools.lru_cache(maxsize=None)
def parse(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _docstrings(tree: ast.AST) -> Set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def strings(path: Path) -> Iterator[Tuple[int, str]]:
    """``(line, text)`` of every string constant of a module but its docstrings (f-string parts included)."""
    tree = parse(path)
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node.lineno, node.value


def names(path: Path) -> Iterator[Tuple[int, str]]:
    """``(line, name)`` of every name and attribute a module uses."""
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Name):
            yield node.lineno, node.id
        elif isinstance(node, ast.Attribute):
            yield node.lineno, node.attr
        elif isinstance(node, ast.alias):
            yield getattr(node, "lineno", 0), node.name


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def path_parts(path: Path) -> Iterator[Tuple[int, str]]:
    """``(line, text)`` of every string a module joins into a path: an argument of
    ``os.path.join``/``inside``, or a side of ``/`` (pathlib)."""
    for node in ast.walk(parse(path)):
        parts: List[ast.AST] = []
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("join", "inside"):
            parts = list(node.args)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            parts = [node.left, node.right]
        yield from ((p.lineno, p.value) for p in parts if isinstance(p, ast.Constant) and isinstance(p.value, str))


def queries(path: Path) -> List[str]:
    """The SQL reads a module spells."""
    return [f"{line}: {text.strip()[:60]!r}" for line, text in strings(path) if SELECT.search(text)]


def reader_opens(path: Path) -> List[str]:
    """Where a module opens a store to read it itself: ``connect_read_only``, or a call with
    ``readonly=`` (``Store(path, readonly=True)``)."""
    found = [f"{line}: {name}" for line, name in names(path) if name == "connect_read_only"]
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Call) and any(k.arg == "readonly" for k in node.keywords):
            found.append(f"{node.lineno}: a call with readonly=")
    return found


def run_file_names() -> List[str]:
    values = [getattr(run_files, n) for n in run_files.__all__]
    assert values and all(isinstance(v, str) and v for v in values)
    return values


def misspelled(path: Path) -> List[str]:
    """A run file's name spelled in a module: a file's name (``pareto.json``, ``run.lock``) in
    any string, a suffix (``_weights.pt``) as a whole string, a folder's name (``plots``,
    ``train_best``) joined into a path. The same words stay free as keys and in messages (an
    experiment's ``trackers:`` key is not the trackers' folder); docstrings are not read."""
    texts, joined, found = list(strings(path)), list(path_parts(path)), []
    for name in run_file_names():
        if name.startswith("_"):
            hits = [(line, text) for line, text in texts if text == name]
        elif "." in name:
            bounded = re.compile(r"(?<![\w.-])" + re.escape(name) + r"(?![\w-])")
            hits = [(line, text) for line, text in texts if bounded.search(text)]
        else:
            hits = [(line, text) for line, text in joined if text == name]
        found += [f"{line}: {name!r} in {text.strip()[:60]!r}" for line, text in hits]
    return found


def broken(rule, allowed=frozenset()) -> List[str]:
    return [f"{rel(p)}:{hit}" for p in source_files() if rel(p) not in allowed for hit in rule(p)]


CONSUMER = '''import os
from nas_kernel.store import Store, connect_read_only
def read(d, conn):
    rows = conn.execute("select archid from candidates").fetchall()
    store = Store(os.path.join(d, "results.db"), readonly=True)
    return os.path.join(d, "plots"), d + "_weights.pt", rows, store
def spared(d):
    """Reads pareto.json (a docstring), a key named plots, longer names."""
    return {"plots": 1, "trackers": 2}, "a.pareto.jsonl", "SELECT a model", "eval_model_weights.pt"
'''


def test_the_rules_catch_what_they_forbid_and_spare_the_rest(tmp_path):
    module = tmp_path / "consumer.py"
    module.write_text(CONSUMER, encoding="utf-8")
    assert [h.split(":")[0] for h in queries(module)] == ["4"]
    assert [h.split(":")[0] for h in reader_opens(module)] == ["2", "5"]
    assert sorted(h.split(" in ")[0] for h in misspelled(module)) == ["5: 'results.db'", "6: '_weights.pt'",
                                                                       "6: 'plots'"]
    assert queries(ROOT / "nas_kernel/store_reader.py")  # the reader does query: the scan sees it
    assert "plugins/nas-dashboard/src/nas_dashboard/queries.py" in {rel(p) for p in source_files()}


def test_only_the_store_and_its_reader_query_a_store():
    found = broken(queries, STORE_MODULES)
    assert not found, "query the store through nas_kernel.store_reader, not here:\n" + "\n".join(found)


def test_only_the_reader_opens_a_store_for_reading():
    """A reader's connection and a read-only ``Store`` are opened in ``nas_kernel.store_reader``
    alone (``open_store``, ``connect``, ``read_meta``)."""
    found = broken(reader_opens, STORE_MODULES)
    assert not found, "open a store to read it through nas_kernel.store_reader:\n" + "\n".join(found)


def test_every_run_file_name_is_spelled_in_run_files_alone():
    found = broken(misspelled, {"nas_kernel/run_files.py"})
    assert not found, "use the name from nas_kernel.run_files:\n" + "\n".join(found)


# ---- the one join ---------------------------------------------------------------------------------
OBJECTIVES = [{"name": "acc", "higher_is_better": True, "compute_intensive": True},
              {"name": "size", "higher_is_better": False, "compute_intensive": False}]


def _multi_fidelity_store(directory: Path) -> None:
    """Two iterations of a successive-halving-like search: ``a`` is evaluated at budgets 1 and 3
    (a candidate of each iteration), ``b`` failed at budget 1; ``size`` is cheap (no budget)."""
    store = Store(str(directory / run_files.RESULTS_DB))
    store.set_meta("created", "1000.0")
    store.set_json("objectives", OBJECTIVES)
    for archid, size in (("a", 10.0), ("b", 20.0)):
        store.record_evaluation("size", archid, None, Evaluation(size), 0)
    store.record_evaluation("acc", "a", 1, Evaluation(0.5, metadata={"epochs_trained": 1}), 0)
    store.record_evaluation("acc", "b", 1, Evaluation(None, "failed", "boom"), 0)
    store.record_iteration(0, ["a", "b"], [1, 1], [{"budget": 1}, {"budget": 1}], [0.1, 0.1])
    store.record_evaluation("acc", "a", 3, Evaluation(0.8, metadata={"epochs_trained": 3}), 1)
    store.record_iteration(1, ["a"], [3], [{"budget": 3}], [0.2])
    store.close()


def test_the_plots_and_nas_results_read_the_same_values_from_one_join(tmp_path):
    _multi_fidelity_store(tmp_path)
    run = read_run(str(tmp_path))
    assert [(e.objective, e.archid, e.budget) for e in run.evaluations][:3] == [
        ("size", "a", None), ("size", "b", None), ("acc", "a", 1.0)]  # the order they were written
    assert run.value("acc", "a", "3.0") == 0.8 and run.value("size", "a", "3.0") == 10.0
    assert math.isnan(run.value("acc", "b", "1.0")) and math.isnan(run.value("acc", "c", ""))

    results = load_results(str(tmp_path))
    table = [(archid, entry["acc"][j], entry["size"][j], entry["epochs_trained"][j])
             for entry in results.results for j, archid in enumerate(entry["archid"])]
    assert table[0] == ("a", 0.5, 10.0, 1) and table[2] == ("a", 0.8, 10.0, 3)
    assert table[1][0] == "b" and math.isnan(table[1][1]) and table[1][3] is None

    series = read_series(str(tmp_path))
    plotted = [(m["archid"], m["acc"], m["size"]) for m in series.models]
    for (archid, acc, size, _), (p_archid, p_acc, p_size) in zip(table, plotted, strict=True):
        assert (archid, size) == (p_archid, p_size)
        assert acc == p_acc or (math.isnan(acc) and math.isnan(p_acc))
    # every candidate's evaluation counts once, in write order, seconds after the store's creation
    assert [v for _, v in series.evaluations["size"]] == [10.0, 20.0]
    acc_points = series.evaluations["acc"]
    assert [v for _, v in acc_points][0::2] == [0.5, 0.8] and math.isnan(acc_points[1][1])
