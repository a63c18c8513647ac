"""The evaluation function the Ray cluster tests run on the workers (imported there by name, so
the cluster's nodes get this folder on PYTHONPATH). It notes every attempt (archid, node, pid)
in ``NAS_TEST_ATTEMPTS`` so a test can see which tasks a lost node forced Ray to run again."""
import os
import time
import zlib


def score(model, budget=None):
    """A fixed value per architecture, after ``NAS_TEST_SLEEP`` seconds of "work"."""
    import ray

    node = ray.get_runtime_context().get_node_id()
    with open(os.environ["NAS_TEST_ATTEMPTS"], "a", encoding="utf-8") as f:
        f.write(f"{model.archid} {node} {os.getpid()}\n")
    time.sleep(float(os.environ.get("NAS_TEST_SLEEP", "0.5")))
    params = sum(p.numel() for p in model.arch.parameters())
    return (zlib.crc32(model.archid.encode()) % 1000) / 1000 + params * 1e-9
