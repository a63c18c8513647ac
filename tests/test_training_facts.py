"""What HiveNAS users look for is shown where they look: a bee colony search with ACT and momentum
through the real `nas search`, then budget, epochs trained, ACT stop and momentum in
`nas results show`, in `evaluations.yaml`, in `search_state.csv` and in the dashboard's rows."""
import sqlite3

import pytest
import yaml

from support import run_nas

HIVE = """\
seed: 1
output_dir: {out}
search_space:
  name: hivenas_chain
  params: {{depth: 2, ops: [sep3x3_16, conv3x3_16, max_pool3x3, identity], skip_rate: 0.3}}
objectives:
  - name: val_acc
    higher_is_better: true
    evaluator:
      name: partial_training
      params: {{dataset: {{name: digits}}, epochs: 1, act_beta: 0.3, checkpoint_dir: {out}/ckpt, progress_bar: false}}
searcher: {{name: bee_colony, params: {{num_iters: 1, colony_size: 4, employee_ratio: 0.5, budget: 2,
                                        momentum_epochs: 2}}}}
"""


@pytest.fixture(scope="module")
def hive_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hive")
    (tmp / "exp.yaml").write_text(HIVE.format(out=tmp / "run"))
    result = run_nas(["search", str(tmp / "exp.yaml"), "-q"], timeout=300)
    assert result.returncode == 0, result.stderr
    return tmp / "run"


def _stored(run):
    import json

    from nas_kernel.toolbox.momentum import momentum_score

    with sqlite3.connect(run / "results.db") as conn:
        rows = conn.execute("SELECT archid, budget, metadata FROM evaluations").fetchall()
    out = {}
    for archid, budget, metadata in rows:
        meta = json.loads(metadata)
        out[(archid, float(budget))] = (meta, momentum_score(meta.get("history"), float("nan")))
    return out


def test_results_show_all_has_budget_epochs_act_and_momentum_columns(hive_run):
    result = run_nas(["results", "show", str(hive_run), "--all"])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.startswith("archid"))
    assert header.split() == ["archid", "val_acc", "budget", "epochs_trained", "act_stopped", "momentum", "iteration"]
    stored = _stored(hive_run)
    rows = [line.split() for line in lines[lines.index(header) + 1:] if line.strip()]
    assert any(row[2] == "3" for row in rows)  # the momentum phase evaluated at a higher budget
    for row in rows:
        meta, momentum = stored[(row[0], float(row[2]))]
        assert row[3] == str(meta.get("epochs_trained", "-"))
        assert row[4] == ({True: "yes", False: "no"}.get(meta.get("act_stopped"), "-"))
        if "history" in meta:
            assert float(row[5]) == pytest.approx(momentum, abs=1e-4)


def test_evaluations_yaml_carries_the_training_facts(hive_run):
    records = yaml.safe_load((hive_run / "evaluations.yaml").read_text())
    stored = _stored(hive_run)
    assert any("act_stopped" in r for r in records) and any("momentum" in r for r in records)
    for record in records:
        meta, momentum = stored[(record["archid"], record["budget"])]
        assert record.get("epochs_trained") == meta.get("epochs_trained")
        if "history" in meta:
            assert record["momentum"] == pytest.approx(momentum, abs=1e-6)


def test_the_search_state_csv_carries_the_training_facts(hive_run):
    import pandas as pd

    state = pd.read_csv(hive_run / "search_state.csv")
    columns = list(state.columns)
    assert columns[columns.index("budget") + 1:columns.index("iteration_num")][-3:] == \
        ["epochs_trained", "act_stopped", "momentum"]
    stored = _stored(hive_run)
    for row in state.itertuples():
        meta, momentum = stored[(row.archid, float(row.budget))]
        if "epochs_trained" in meta:
            assert row.epochs_trained == meta["epochs_trained"]
        if "history" in meta:
            assert row.momentum == pytest.approx(momentum, abs=1e-4)


def test_the_dashboard_rows_carry_the_training_facts(hive_run):
    pytest.importorskip("nas_dashboard")
    from nas_dashboard.queries import evaluations
    from nas_dashboard.runs import Run

    rows = evaluations(Run(0, str(hive_run)), 0)["rows"]
    stored = _stored(hive_run)
    assert rows and all(r["facts"].get("epochs_trained") == stored[(r["archid"], r["budget"])][0].get("epochs_trained")
                        for r in rows)
