"""Real runs for the dashboard tests: small searches written by the real `nas search` over the
test plugin's components (``search_plugin``: a grid space, toy objectives, a Pareto evolution)."""
import pytest

from .dashboard_support import finished_search


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory):
    """A finished real search (3 objectives, some failed evaluations), shared by the tests."""
    return finished_search(tmp_path_factory.mktemp("dash") / "finished", seed=5, num_iters=2)
