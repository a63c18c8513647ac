"""A real Ray cluster (a head and two worker nodes started with `ray start`) driven by `nas search`
joining it with `address: auto`, under node loss and driver loss.

Everything runs in ``evtest_cluster_checks.py``, re-executed inside private network and PID
namespaces (root only): the only address is 127.0.0.1, no traffic can leave the machine, and
every Ray process it starts ends with it (no `ray stop`, which would look for Ray processes
machine-wide). One cluster serves every scenario; the tests below read its report.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ISOLATE = ["unshare", "-n", "-p", "-f", "--mount-proc"]


def _skip_reason():
    try:
        import ray  # noqa: F401
    except ImportError:
        return "Ray is not installed (pip install nas-evaluators[ray])"
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "needs `unshare` and `ip` to isolate Ray in loopback-only network and PID namespaces"
    if os.geteuid() != 0:
        return "needs root for `unshare -n -p` (Ray must not bind to the machine's network address)"
    probe = subprocess.run([*ISOLATE, "sh", "-c", "ip link set lo up"], capture_output=True)
    if probe.returncode != 0:
        return f"cannot create network and PID namespaces here: {probe.stderr.decode().strip()}"
    return None


@pytest.fixture(scope="module")
def cluster():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    env = dict(os.environ, RAY_AUTH_MODE="disabled", RAY_USAGE_STATS_ENABLED="0",
               PYTHONPATH=os.pathsep.join([HERE] + [p for p in sys.path if p]))
    before = set(os.listdir(tempfile.gettempdir()))
    try:
        proc = subprocess.run([*ISOLATE, "sh", "-c", 'ip link set lo up && exec "$0" "$@"', sys.executable,
                               os.path.join(HERE, "evtest_cluster_checks.py")],
                              capture_output=True, text=True, timeout=900, env=env)
    finally:
        for name in set(os.listdir(tempfile.gettempdir())) - before:
            if name.startswith("nasrc"):
                shutil.rmtree(os.path.join(tempfile.gettempdir(), name), ignore_errors=True)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def rows(evaluations):
    """(archid, value, status) of every stored evaluation."""
    return [tuple(e[:3]) for e in evaluations]


def node_of(evaluation):
    return json.loads(evaluation[4]).get("ray_node")


def test_the_search_joins_a_multi_node_cluster_that_was_slow_to_start(cluster):
    ref = cluster["reference"]
    assert ref["rc"] == 0, ref["stderr"]
    assert "RAY_ADDRESS" in ref["stderr"]  # address: auto found the head through RAY_ADDRESS, as docs/ray.md says
    assert len(ref["evaluations"]) == 12 and all(e[2] == "ok" for e in ref["evaluations"])
    used = {node_of(e) for e in ref["evaluations"]}
    assert len(used) >= 2 and used <= set(cluster["nodes"].values())


def test_a_killed_driver_resumes_on_the_cluster_to_the_uninterrupted_result(cluster):
    ref, kill = cluster["reference"], cluster["driver_kill"]
    assert 0 < kill["stored_at_kill"] < 12  # killed mid-search
    assert kill["rc"] == 0, kill["stderr"]
    assert kill["state"] == ref["state"] and kill["pareto"] == ref["pareto"]
    assert rows(kill["evaluations"]) == rows(ref["evaluations"])  # none lost, none duplicated, same values
    assert set(rows(kill["evaluations_at_kill"])) <= set(rows(kill["evaluations"]))


def test_a_lost_node_s_tasks_are_retried_on_the_survivors(cluster):
    ref, loss = cluster["reference"], cluster["node_loss_retry"]
    lost = cluster["nodes"]["node_a"]
    assert loss["rc"] == 0, loss["stderr"]
    assert loss["started_on_lost_node"]
    tries = Counter(archid for archid, _, _ in loss["attempts"])
    retried = [a for a, n in tries.items() if n > 1]
    assert retried and set(retried) <= set(loss["started_on_lost_node"])
    assert max(tries.values()) <= 2  # max_retries: 1
    stored = {e[0]: e for e in loss["evaluations"]}
    assert all(node_of(stored[a]) != lost for a in retried)  # finished elsewhere
    assert rows(loss["evaluations"]) == rows(ref["evaluations"])  # all ok, nothing lost or duplicated
    assert loss["state"] == ref["state"]


def test_without_retries_a_lost_node_s_task_is_recorded_failed_with_the_reason(cluster):
    ref, loss = cluster["reference"], cluster["node_loss_no_retry"]
    assert loss["rc"] == 0, loss["stderr"]  # the search finishes
    failed = [e for e in loss["evaluations"] if e[2] == "failed"]
    assert failed and {e[0] for e in failed} <= set(loss["started_on_lost_node"])
    for e in failed:
        assert e[3].startswith("ray: the task failed after 1 attempt(s) (max_retries=0): ")
    assert Counter(a for a, _, _ in loss["attempts"]).most_common(1)[0][1] == 1  # nothing re-run
    ok = {r for r in rows(loss["evaluations"]) if r[2] == "ok"}
    assert ok <= set(rows(ref["evaluations"])) and len(loss["evaluations"]) == 12
    assert loss["state"]["archid"] == ref["state"]["archid"]


def test_an_unreachable_cluster_is_a_clear_error_after_start_timeout(cluster):
    error = cluster["no_cluster"]["error"]
    assert error and "could not join the Ray cluster at '127.0.0.1:6399' within start_timeout=2 s" in error
