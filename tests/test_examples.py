"""Every experiment file shipped under docs/examples/ runs with `nas search` (at a reduced number
of iterations, to keep the suite short), through the real command and the installed plugins."""
from pathlib import Path

import pandas as pd
import pytest

from support import run_nas

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(ROOT.glob("docs/examples/*.yaml")) + sorted(ROOT.glob("docs/examples/*/experiment.yaml"))


def test_examples_exist():
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.relative_to(ROOT / "docs" / "examples").as_posix())
def test_example_runs(path, tmp_path):
    out = tmp_path / "run"
    result = run_nas(["search", str(path), "-q", "-o", str(out), "--set", "searcher.params.num_iters=1"],
                     cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    state = pd.read_csv(out / "search_state.csv")
    assert len(state) > 0 and state["is_pareto"].any()
