"""Ray, for real, inside a private network namespace with only loopback up.

Ray binds to the machine's network address and ignores requests to use 127.0.0.1, so the checks
run in ``evtest_ray_checks.py`` re-executed under ``unshare -n`` (root only), where the only
address is 127.0.0.1 and no traffic can leave the machine. One ``ray.init`` serves every check.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def _skip_reason():
    try:
        import ray  # noqa: F401
    except ImportError:
        return "Ray is not installed (pip install nas-evaluators[ray])"
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "needs `unshare` and `ip` to isolate Ray in a loopback-only network namespace"
    if os.geteuid() != 0:
        return "needs root for `unshare -n` (Ray must not bind to the machine's network address)"
    probe = subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up"], capture_output=True)
    if probe.returncode != 0:
        return f"cannot create a network namespace here: {probe.stderr.decode().strip()}"
    return None


@pytest.fixture(scope="module")
def ray_report():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    env = dict(os.environ, RAY_AUTH_MODE="disabled", RAY_USAGE_STATS_ENABLED="0",
               PYTHONPATH=os.pathsep.join([HERE] + [p for p in sys.path if p]))
    before = set(os.listdir(tempfile.gettempdir()))
    try:
        proc = subprocess.run(["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"', sys.executable,
                               os.path.join(HERE, "evtest_ray_checks.py")],
                              capture_output=True, text=True, timeout=240, env=env)
    finally:
        for name in set(os.listdir(tempfile.gettempdir())) - before:
            if name.startswith("nasray"):
                shutil.rmtree(os.path.join(tempfile.gettempdir(), name), ignore_errors=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_ray_binds_to_loopback_only(ray_report):
    assert ray_report["node_ip"] == "127.0.0.1"


def test_ray_send_order_and_killed_worker_gives_none(ray_report):
    assert ray_report["order"] == [1.0, 2.0, None, 3.0, 4.0]
    assert ray_report["errors"] == ["die-0"] and ray_report["metadata_pid"]


def test_ray_timeout_gives_none(ray_report):
    assert ray_report["timeout"] == [7.0, None] and ray_report["timeout_s"] < 30


def test_ray_equals_sequential_training(ray_report):
    assert ray_report["ray_values"] == ray_report["sequential_values"]
    assert ray_report["ray_epochs"] == [1, 1]


def test_ray_max_in_flight_caps_the_tasks_running_at_once(ray_report):
    assert ray_report["capped"] == [1.0, 1.0, 1.0] and ray_report["capped_overlap"] is False
