"""A real Ray cluster (a head and two worker nodes started with `ray start`) driven by `nas search`
joining it with `address: auto`, under node loss and driver loss.

Everything runs in ``ray_cluster_checks.py``, re-executed inside private network and PID
namespaces (root only): the only address is 127.0.0.1, no traffic can leave the machine, and
every Ray process it starts ends with it (no `ray stop`, which would look for Ray processes
machine-wide). One cluster serves every scenario; the tests below read its report.
"""
import json
from collections import Counter
from pathlib import Path

import pytest

from nas_evaluators.testing.isolated import run_isolated

ISOLATE = ["unshare", "-n", "-p", "-f", "--mount-proc"]


@pytest.fixture(scope="module")
def cluster():
    return run_isolated(ISOLATE, Path(__file__).with_name("ray_cluster_checks.py"), timeout=900, temp_prefix="nasrc")


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
    assert loss["rc"] == 0, loss["stderr"]
    assert loss["lost_node"] in ("node_a", "node_b") and loss["started_on_lost_node"]
    lost = cluster["nodes"][loss["lost_node"]]
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
    assert {loss["lost_node"], cluster["node_loss_retry"]["lost_node"]} == {"node_a", "node_b"}
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
