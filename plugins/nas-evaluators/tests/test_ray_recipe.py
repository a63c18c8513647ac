"""docs/ray.md's cluster recipe with Ray's token authentication on, run as written (a head, a
worker and a driver, each with its own home folder) inside private network and PID namespaces;
and the join errors a driver without the token gets. See evtest_ray_recipe.py."""
import os

import pytest

from evtest_isolated import run_isolated

ISOLATE = ["unshare", "-n", "-p", "-f", "--mount-proc"]
PAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "docs", "ray.md")


@pytest.fixture(scope="module")
def recipe():
    if not os.path.isfile(PAGE):
        pytest.skip("docs/ray.md is not beside this plugin (an installed copy without the repository)")
    return run_isolated(ISOLATE, "evtest_ray_recipe.py", timeout=600, temp_prefix="nasrr")


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
