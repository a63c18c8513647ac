"""Shared helpers of the dashboard tests: experiment files, the real `nas` command in a
subprocess, an in-process server on a free loopback port, and store readers for the expected
numbers (straight SQL on the store, independent of the dashboard's own code)."""
from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Tuple

from nas_kernel.store import connect_read_only

from .search_plugin import manager, nas_env

ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def experiment_text(out: Path, *, seed: int, num_iters: int, delay: float = 0.0) -> str:
    """A small search over the test plugin's grid (``search_plugin``): three objectives, the
    accuracy's ``delay`` seconds per model letting a test watch the search run."""
    return f"""\
description: dashboard test run
seed: {seed}
output_dir: {out}
max_failures: 1000
search_space: {{name: grid, params: {{max_layers: 4, kernels: [1, 3, 5, 7], hidden: [8, 16, 32, 64]}}}}
objectives:
  - {{name: val_acc, higher_is_better: true, evaluator: {{name: toy_training, params: {{epochs: 1, delay: {delay}}}}}}}
  - {{name: params, higher_is_better: false, compute_intensive: false, evaluator: {{name: toy_params}}}}
  - {{name: kernel_cost, higher_is_better: false, compute_intensive: false, evaluator: {{name: kernel_cost}}}}
searcher: {{name: front_evolution, params: {{num_iters: {num_iters}, init_num_models: 6, max_children: 6}}}}
"""


@lru_cache(maxsize=None)
def _site() -> str:
    """This process's folder of the test plugin's made-up installed distribution (removed at exit)."""
    site = tempfile.mkdtemp(prefix="nas-dashboard-test-site-")
    atexit.register(shutil.rmtree, site, True)
    return site


def nas(args: List[str], **kwargs) -> subprocess.Popen:
    """The real ``nas`` command with nas-dashboard and the test plugin as its only plugins."""
    env = {**nas_env(Path(_site())), **ENV}
    return subprocess.Popen([sys.executable, "-c", "from nas_kernel.cli import main; main()", *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def write_experiment(out: Path, **kw) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    path = out.parent / f"{out.name}.yaml"
    path.write_text(experiment_text(out, **kw))
    return path


def finished_search(out: Path, *, seed: int, num_iters: int) -> Path:
    proc = nas(["search", str(write_experiment(out, seed=seed, num_iters=num_iters)), "-q"])
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stdout + stderr
    (out.parent / f"{out.name}.stdout").write_text(stdout)
    return out


# ---- the store, read independently --------------------------------------------------------------
def store_rows(run: Path, sql: str, args: tuple = ()) -> list:
    conn = connect_read_only(str(run / "results.db"))  # a test's reads leave no side files either
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def candidate_values(run: Path) -> Dict[str, Dict[str, float]]:
    """archid -> objective -> value (ok rows only) for every candidate of the search."""
    out: Dict[str, Dict[str, float]] = {}
    for archid, objective, value in store_rows(
            run, "SELECT e.archid, e.objective, e.value FROM evaluations e WHERE e.status='ok' "
                 "AND e.archid IN (SELECT archid FROM candidates)"):
        out.setdefault(archid, {})[objective] = value
    return out


def front_of(values: Dict[str, Dict[str, float]], x: Tuple[str, bool], y: Tuple[str, bool]) -> set:
    """Archids on the Pareto front of a pair, by the kernel's rule."""
    import numpy as np

    from nas_kernel.pareto import pareto_front_indices

    archids = [a for a, v in values.items() if x[0] in v and y[0] in v]
    points = np.array([[(-1 if x[1] else 1) * values[a][x[0]], (-1 if y[1] else 1) * values[a][y[0]]]
                       for a in archids]).reshape(-1, 2)
    return {archids[i] for i in pareto_front_indices(points)}


# ---- the server ------------------------------------------------------------------------------
@contextmanager
def serving(directories, interval: float = 3.0):
    """The dashboard of ``directories`` on a free loopback port, in this process; yields its URL.
    Its requests run with nas-dashboard and the test plugin as the plugins in use (a model page
    rebuilds the run's search space, the test plugin's grid)."""
    from nas_dashboard.runs import open_runs
    from nas_dashboard.server import Dashboard, make_server
    server = make_server(Dashboard(open_runs([str(d) for d in directories]), interval=interval, plugins=manager()),
                         "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def get(url: str, headers: Dict[str, str] = None, method: str = "GET"):
    """(status, parsed JSON or raw bytes, headers) of one request."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body, status, got = response.read(), response.status, response.headers
    except urllib.error.HTTPError as exc:
        body, status, got = exc.read(), exc.code, exc.headers
    if method != "HEAD" and (got.get("Content-Type") or "").startswith("application/json"):
        return status, json.loads(body), got
    return status, body, got


def wait_for(predicate, timeout: float, what: str, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
