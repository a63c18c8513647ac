"""Ray, for real, inside a private network namespace with only loopback up.

Ray binds to the machine's network address and ignores requests to use 127.0.0.1, so the checks
run in ``ray_checks.py`` re-executed under ``unshare -n`` (root only), where the only
address is 127.0.0.1 and no traffic can leave the machine. One ``ray.init`` serves every check.
"""
from pathlib import Path

import pytest

from nas_evaluators.testing.isolated import run_isolated


@pytest.fixture(scope="module")
def ray_report():
    return run_isolated(["unshare", "-n"], Path(__file__).with_name("ray_checks.py"), timeout=240,
                        temp_prefix="nasray")


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
