"""Running the real ``nas search`` on the toy plugin, and reading each tracker's output back with
the library's own reader (MLflow's client, TensorBoard's event accumulator, W&B's record format)."""
from __future__ import annotations

import glob
import os
import sqlite3
import struct
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Dict, List, Tuple

from nas_kernel.testing.plugin_site import plugin_site as installed_plugin

HERE = Path(__file__).resolve().parent
#: one MLflow store for every test of the session: creating its tables takes seconds
MLFLOW_URI = f"sqlite:///{tempfile.mkdtemp(prefix='nas-tracking-tests-')}/mlflow.db"

EXPERIMENT = """\
seed: 3
output_dir: {out}
search_space: {{name: toy_integers, params: {{size: 500}}}}
objectives:
  - {{name: score, higher_is_better: true, evaluator: {{name: toy_score, params: {{delay: {delay}, fail_every: 5}}}}}}
  - {{name: size, higher_is_better: false, compute_intensive: false, evaluator: {{name: toy_score}}}}
searcher: {{name: toy_random, params: {{num_iters: {iters}, samples_per_iter: 4}}}}
trackers:
{trackers}
"""


def toy_site(root: Path) -> Path:
    """A folder holding a fake installed distribution ``nas-tracking-toy`` whose plugin is toy_plugin."""
    return installed_plugin(root, "nas-tracking-toy", "toy_plugin", entry_name="toy")


def write_experiment(folder: Path, trackers: List[str], *, iters: int = 3, delay: float = 0.0,
                     name: str = "exp.yaml") -> Tuple[Path, Path]:
    out = folder / name.replace(".yaml", "-run")
    path = folder / name
    lines = "\n".join(f"  - {t}" for t in trackers) or "  []"
    path.write_text(EXPERIMENT.format(out=out, iters=iters, delay=delay, trackers=lines))
    return path, out


def nas_env(site: Path, block: Tuple[str, ...] = ()) -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(HERE)])
    env["NAS_LOAD_PLUGINS"] = "nas-tracking-toy,nas-tracking"
    env["WANDB_SILENT"] = "true"
    env.pop("MLFLOW_TRACKING_URI", None)
    if block:
        env["TRACKING_TEST_BLOCK"] = ",".join(block)
    return env


def nas_command(*args: str) -> List[str]:
    """``python -m nas_kernel.cli ARGS``, with the modules named in $TRACKING_TEST_BLOCK made unimportable."""
    code = textwrap.dedent("""\
        import os, sys
        for name in filter(None, os.environ.get("TRACKING_TEST_BLOCK", "").split(",")):
            sys.modules[name] = None
        from nas_kernel.cli import main
        sys.argv = ["nas"] + sys.argv[1:]
        main()
        """)
    return [sys.executable, "-c", code, *args]


def run_nas(site: Path, *args: str, block: Tuple[str, ...] = (), timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(nas_command(*args), capture_output=True, text=True, env=nas_env(site, block),
                          timeout=timeout)


def stored_candidates(out: Path) -> List[Tuple[str, float]]:
    """(archid, score or NaN) of every candidate, in the order the trackers number them."""
    conn = sqlite3.connect(f"file:{out / 'results.db'}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT c.archid, e.value, e.status FROM candidates c JOIN evaluations e "
                            "ON e.archid = c.archid AND e.objective = 'score' ORDER BY c.iteration, c.position")
        return [(a, v if s == "ok" else float("nan")) for a, v, s in rows]
    finally:
        conn.close()


# ---- readers ---------------------------------------------------------------------------------
def mlflow_run(out: Path):
    import json

    from mlflow.tracking import MlflowClient

    state = json.loads((out / "trackers" / "mlflow.json").read_text())["state"]
    client = MlflowClient(tracking_uri=state["tracking_uri"])
    return client, client.get_run(state["run_id"])


def tensorboard_events(log_dir: Path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "tensors": 0, "images": 0})
    acc.Reload()
    return acc


def wandb_history(folder: Path) -> List[Dict[str, str]]:
    """Every history record of every offline run under ``folder/wandb`` (W&B's ``.wandb`` files:
    32 KiB blocks of records, each a 7-byte header (crc, length, type) and a protobuf piece)."""
    from wandb.proto import wandb_internal_pb2

    rows = []
    for path in sorted(glob.glob(str(folder / "wandb" / "offline-run-*" / "run-*.wandb"))):
        data = Path(path).read_bytes()
        assert data[:4] == b":W&B", f"{path} is not a W&B run file"
        pos, piece = 7, b""
        while pos + 7 <= len(data):
            left = 32768 - pos % 32768
            if left < 7:
                pos += left
                continue
            _, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
            pos += 7
            if length == 0 and kind == 0:
                pos += left - 7
                continue
            piece += data[pos:pos + length]
            pos += length
            if kind in (1, 4):  # a whole record, or the last piece of one
                record = wandb_internal_pb2.Record()
                record.ParseFromString(piece)
                piece = b""
                if record.WhichOneof("record_type") == "history":
                    rows.append({item.key or "/".join(item.nested_key): item.value_json
                                 for item in record.history.item})
    return rows
