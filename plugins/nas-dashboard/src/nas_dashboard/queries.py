"""The dashboard's JSON documents, read from one run's store: the overview, the evaluations and
iterations written since a cursor (so a page fetches only what is new), and one model's rows.

Cursors are SQLite rowids. ``INSERT OR REPLACE`` gives a replaced row a new rowid, except when
the replaced row was the last one, which keeps its rowid: so ``since`` is inclusive and the page
keys rows by (objective, archid, budget) — a row seen twice replaces itself.
"""
from __future__ import annotations

import json
import math
import os
import time
from typing import Any, Dict, List, Optional

import yaml

from nas_dashboard.runs import Run
from nas_dashboard.status import run_state
from nas_kernel.run_files import SAVED_EXPERIMENT
from nas_kernel.store_reader import EVALUATION_ROW, archid_rows, candidate_rows, evaluation_rows, overview_rows
from nas_kernel.training_facts import training_facts

PAGE = 5000  # rows per response; the page asks again while ``more`` is true
MAX_EXPERIMENT_BYTES = 1 << 20


def finite(value: Any) -> Any:
    """JSON has no NaN/Infinity: such values travel as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def read_experiment(run: Run) -> Optional[Dict[str, Any]]:
    """The experiment the run saved (``experiment.yaml``), or None when absent or unreadable."""
    path = os.path.join(run.path, SAVED_EXPERIMENT)
    try:
        if os.path.getsize(path) > MAX_EXPERIMENT_BYTES:
            return None
        with open(path, encoding="utf-8") as f:
            spec = yaml.safe_load(f)
    except (OSError, yaml.YAMLError):
        return None
    return spec if isinstance(spec, dict) else None


def _component(spec: Optional[Dict[str, Any]], key: str) -> Optional[Dict[str, Any]]:
    comp = (spec or {}).get(key)
    if isinstance(comp, dict) and isinstance(comp.get("name"), str):
        params = comp.get("params") if isinstance(comp.get("params"), dict) else {}
        return {"name": comp["name"], "params": params}
    return None


def overview(run: Run) -> Dict[str, Any]:
    with run.connect() as conn:
        stored = overview_rows(conn)
    meta, counts, first, last, current = (stored[k] for k in ("meta", "counts", "first", "last", "current"))
    spec = read_experiment(run)
    state = run_state(run.path, meta.get("status"))
    created = _float(meta.get("created"))
    # wall time since the store was created: up to now while running, else to the end of the run
    end = time.time() if state["state"] == "running" else (state.get("ended_at") or last)
    elapsed = end - created if end is not None and created is not None else None
    searcher = _component(spec, "searcher")
    return {
        "run": run.index,
        "name": run.name,
        "path": run.path,
        "describe": meta.get("describe", ""),
        "store_status": meta.get("status"),
        "state": state,
        "created": created,
        "first_evaluation": first,
        "last_evaluation": last,
        "elapsed_s": finite(elapsed),
        "objectives": objective_specs(meta.get("objectives")),
        "evaluations": sum(counts.values()),
        "failed": counts.get("failed", 0),
        "iterations_done": stored["iterations"],
        "current_iteration": None if current is None else current + 1,
        "models": stored["models"],
        "cursor": stored["cursor"] or 0,
        "experiment": {
            "description": (spec or {}).get("description"),
            "seed": (spec or {}).get("seed"),
            "search_space": _component(spec, "search_space"),
            "searcher": searcher,
            "num_iters": (searcher or {}).get("params", {}).get("num_iters"),
        } if spec else None,
        "constraints": constraint_ranges(spec),
    }


def evaluations(run: Run, since: int) -> Dict[str, Any]:
    """Evaluation rows with rowid >= ``since``; of the metadata only the training facts (epochs
    trained, ACT stop, momentum, Ray node: ``nas_kernel.training_facts``), the model page has the rest."""
    with run.connect() as conn:
        reset, rows = evaluation_rows(conn, since, PAGE + 1)  # reset: the store shrank, the page starts over
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    keys = EVALUATION_ROW[:-1]  # the metadata travels as its training facts only
    out = [dict({k: finite(v) for k, v in zip(keys, row)}, facts=training_facts(_json(row[-1]))) for row in rows]
    cursor = out[-1]["id"] if out else (0 if reset else since)
    return {"rows": out, "cursor": cursor, "more": more, "reset": reset}


def iterations(run: Run, since: int) -> Dict[str, Any]:
    """Candidate rows (the search state) of iterations >= ``since``: an iteration is written in
    one transaction, so the last one the page saw is fetched again and replaced whole."""
    with run.connect() as conn:
        rows = candidate_rows(conn, since)
    out = []
    for iteration, position, archid, bkey, extra, wall in rows:
        out.append({"iteration": iteration, "position": position, "archid": archid, "budget_key": bkey,
                    "extra": _json(extra), "walltime_hours": finite(wall)})
    return {"rows": out, "since": since}


def model_rows(run: Run, archid: str) -> Dict[str, Any]:
    """Everything the store holds about one archid, plus its recorded lineage."""
    with run.connect() as conn:
        evals, cands, parents = archid_rows(conn, archid)
    keys = ("objective", "budget_key", "budget", "value", "status", "error", "seconds", "metadata", "iteration",
            "created")
    ev_out = []
    for row in evals:
        item = {k: finite(v) for k, v in zip(keys, row)}
        item["metadata"] = _json(item["metadata"])
        ev_out.append(item)
    cand_out = [{"iteration": it, "position": pos, "budget_key": bkey, "extra": _json(extra)}
                for it, pos, bkey, extra in cands]
    return {"archid": archid, "evaluations": ev_out, "candidates": cand_out,
            "lineage": lineage(archid, {a: _json(e).get("parent") for a, e in parents.items()})}


def lineage(archid: str, parent_of: Dict[str, Any], limit: int = 50) -> List[Dict[str, Any]]:
    """The chain of recorded parents, newest first: ``[{archid, parents: [...]}, ...]``. A
    searcher writes ``parent`` as one archid, or ``a+b`` for a crossover of two known ones."""
    chain: List[Dict[str, Any]] = []
    seen = {archid}
    current = archid
    while len(chain) < limit:
        recorded = parent_of.get(current)
        if not isinstance(recorded, str) or not recorded:
            break
        if recorded in parent_of:
            parents = [recorded]
        else:
            parts = recorded.split("+")
            parents = parts if len(parts) > 1 and all(p in parent_of for p in parts) else [recorded]
        chain.append({"archid": current, "parents": parents})
        nxt = parents[0]
        if nxt in seen or nxt not in parent_of:
            break
        seen.add(nxt)
        current = nxt
    return chain


def constraint_ranges(spec: Optional[Dict[str, Any]]) -> Dict[str, List[float]]:
    """name -> [low, high] of every constraint the experiment declares (on an objective or
    under ``constraints``): the page marks models outside them as rejected, not evaluated."""
    out: Dict[str, List[float]] = {}
    entries = list((spec or {}).get("objectives") or []) + list((spec or {}).get("constraints") or [])
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        bounds = entry.get("constraint")
        if isinstance(bounds, (list, tuple)) and len(bounds) == 2 and all(
                isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds):
            out[entry["name"]] = [finite(float(b)) for b in bounds]
    return out


def objective_specs(text: Optional[str]) -> List[Dict[str, Any]]:
    """The stored objective schema, keeping only well-formed entries."""
    try:
        specs = json.loads(text) if text else []
    except ValueError:
        return []
    return [{"name": s["name"], "higher_is_better": bool(s.get("higher_is_better")),
             "compute_intensive": bool(s.get("compute_intensive", True))}
            for s in specs if isinstance(s, dict) and isinstance(s.get("name"), str)] if isinstance(specs, list) else []


def _json(text: Optional[str]) -> Any:
    try:
        value = json.loads(text) if text else {}
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {"value": value}


def _float(text: Optional[str]) -> Optional[float]:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None
