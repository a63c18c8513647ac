"""docs/ray.md's cluster recipe with Ray's token authentication on, run as written (a head, a
worker and a driver, each with its own home folder) inside private network and PID namespaces;
and the join errors a driver without the token gets. See ray_recipe_checks.py."""
from pathlib import Path

import pytest

from nas_evaluators.testing.isolated import run_isolated

ISOLATE = ["unshare", "-n", "-p", "-f", "--mount-proc"]


@pytest.fixture(scope="module")
def recipe():
    return run_isolated(ISOLATE, Path(__file__).with_name("ray_recipe_checks.py"), timeout=600, temp_prefix="nasrr")


def test_the_documented_recipe_starts_a_cluster_and_the_search_runs_on_it(recipe):
    assert recipe["machines"] == ["driver", "head", "worker"]
    assert recipe["head"]["rc"] == 0, recipe["head"]["stderr"]
    assert recipe["head"]["printed_token"]  # "prints the cluster's token", as the page says
    assert recipe["worker"]["rc"] == 0, recipe["worker"]["stderr"]
    driver = recipe["driver"]
    assert driver["rc"] == 0, driver["stderr"]
    evaluations = driver["evaluations"]
    assert len(evaluations) == 12 and all(status == "ok" and node for status, node in evaluations)


def test_a_driver_without_the_token_is_told_authentication_is_the_cause(recipe):
    for case in ("no_token", "no_auth_mode"):
        result = recipe[case]
        assert result["rc"] == 1, (case, result)
        message = result["stderr"]
        assert "authentication" in message and "RAY_AUTH_MODE" in message and "Traceback" not in message, case
