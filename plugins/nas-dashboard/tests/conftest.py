"""Real runs for the dashboard tests: small digits searches written by the real `nas search`."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashboard_support import finished_search  # noqa: E402


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory):
    """A finished real search (3 objectives, some failed evaluations), shared by the tests."""
    return finished_search(tmp_path_factory.mktemp("dash") / "finished", seed=5, num_iters=2)
