"""Every experiment file shipped under docs/examples/ runs with `nas search` (at a reduced number
of iterations, to keep the suite short), through the real command and the installed plugins.

An example whose opening comment tells the reader to run a `nas` command first (an indented
``#   nas ...`` line, e.g. building a latency table next to the experiment) is copied to a scratch
folder and those commands run there first, as written (with fewer timing samples)."""
import re
import shutil
import shlex
from pathlib import Path

import pandas as pd
import pytest
import yaml

from support import run_nas

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(ROOT.glob("docs/examples/*.yaml")) + sorted(ROOT.glob("docs/examples/*/experiment.yaml"))


def test_examples_exist():
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.relative_to(ROOT / "docs" / "examples").as_posix())
def test_example_runs(path, tmp_path):
    out = tmp_path / "run"
    first = [shlex.split(m) for m in re.findall(r"^#\s{3}nas (.+)$", path.read_text(encoding="utf-8"), re.M)]
    if first:
        path = Path(shutil.copy(path, tmp_path))
        for command in first:
            fast = ["--warmups", "1", "--samples", "3"] if command[:2] == ["latency-table", "build"] else []
            prepared = run_nas(command + fast, cwd=tmp_path, timeout=300)
            assert prepared.returncode == 0, prepared.stderr[-2000:]
    shorter = []
    if first:
        # the examples that need a device file first are the device searches, the slowest ones;
        # their constraints are figures of the device they were written on: this machine (busy
        # in CI) may measure every candidate above them, so the test lifts them
        shorter = ["--set", "searcher.params.init_num_models=2"]
        objectives = yaml.safe_load(path.read_text(encoding="utf-8"))["objectives"]
        for i, objective in enumerate(objectives):
            if objective.get("constraint") is not None:
                shorter += ["--set", f"objectives[{i}].constraint=null"]
    result = run_nas(["search", str(path), "-q", "-o", str(out), "--set", "searcher.params.num_iters=1", *shorter],
                     cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    state = pd.read_csv(out / "search_state.csv")
    assert len(state) > 0 and state["is_pareto"].any()
