"""The dashboard's HTTP routes on a real run (written by a real `nas search`): every JSON route
against the store's own numbers, incremental fetches across writes, bad input, path safety, and
the `nas results serve` command's messages."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket

import pytest

from .dashboard_support import candidate_values, get, nas, serving, store_rows, wait_for
from nas_kernel.api.evaluation import Evaluation
from nas_kernel.paths import safe_filename
from nas_kernel.store import Store


def snapshot(directory):
    """Every file under ``directory`` with its size and mtime: reading must change none."""
    out = {}
    for root, _, files in os.walk(directory):
        for name in files:
            st = os.stat(os.path.join(root, name))
            out[os.path.relpath(os.path.join(root, name), directory)] = (st.st_size, st.st_mtime_ns)
    return out


@pytest.fixture
def run_copy(finished_run, tmp_path):
    """A copied run directory the test may append to (the shared run stays as written)."""
    return shutil.copytree(finished_run, tmp_path / "copy")


def test_overview_and_runs_match_the_store(finished_run):
    with serving([finished_run]) as url:
        status, runs, _ = get(url + "/api/runs")
        assert status == 200 and runs["runs"] == [{"run": 0, "name": "finished", "path": str(finished_run)}]
        status, ov, _ = get(url + "/api/runs/0/overview")
    assert status == 200
    total, failed = store_rows(finished_run, "SELECT COUNT(*), SUM(status='failed') FROM evaluations")[0]
    iterations, models = store_rows(finished_run, "SELECT COUNT(DISTINCT iteration), COUNT(*) FROM candidates")[0]
    assert (ov["evaluations"], ov["failed"], ov["iterations_done"], ov["models"]) == (total, failed, iterations, models)
    assert failed > 0 and ov["state"]["state"] == "finished"
    assert [o["name"] for o in ov["objectives"]] == ["val_acc", "params", "kernel_cost"]
    assert ov["experiment"]["searcher"]["name"] == "front_evolution" and ov["experiment"]["num_iters"] == 2
    assert ov["cursor"] == store_rows(finished_run, "SELECT MAX(rowid) FROM evaluations")[0][0]
    assert ov["elapsed_s"] > 0


def test_evaluations_are_fetched_incrementally_across_appends_replacements_and_a_new_store(run_copy):
    with serving([run_copy]) as url:
        _, first, _ = get(url + "/api/runs/0/evaluations?since=0")
        assert len(first["rows"]) == store_rows(run_copy, "SELECT COUNT(*) FROM evaluations")[0][0]
        failed = [r for r in first["rows"] if r["status"] == "failed"]
        assert failed and all("kernel_cost refuses kernel 7" in r["error"] for r in failed)
        cursor = first["cursor"]
        _, again, _ = get(url + f"/api/runs/0/evaluations?since={cursor}")
        assert [r["id"] for r in again["rows"]] == [cursor]  # inclusive: the last row only
        # the kernel's own writer appends (a resumed search) and replaces the last row
        store = Store(str(run_copy / "results.db"))
        store.record_evaluation("params", "L=9,K=9,H=9", None, Evaluation(123.0, "ok", None, 0.1, {}))
        store.record_evaluation("params", "L=9,K=9,H=9", None, Evaluation(456.0, "ok", None, 0.1, {}))
        store.record_evaluation("val_acc", "L=9,K=9,H=9", None, Evaluation(float("inf"), "ok", None, 0.1, {}))
        store.close()
        _, new, _ = get(url + f"/api/runs/0/evaluations?since={cursor}")
        fresh = {(r["objective"], r["archid"]): r["value"] for r in new["rows"] if r["id"] > cursor}
        assert fresh == {("params", "L=9,K=9,H=9"): 456.0, ("val_acc", "L=9,K=9,H=9"): None}  # inf -> null
        # a store recreated under the page (fewer rows) tells it to start over
        os.remove(run_copy / "results.db")
        for extra in ("results.db-wal", "results.db-shm"):
            if (run_copy / extra).exists():
                os.remove(run_copy / extra)
        store = Store(str(run_copy / "results.db"))
        store.set_json("objectives", [{"name": "params", "higher_is_better": False, "compute_intensive": False}])
        store.record_evaluation("params", "L=1,K=1,H=8", None, Evaluation(354.0, "ok", None, 0.1, {}))
        store.close()
        _, reset, _ = get(url + f"/api/runs/0/evaluations?since={new['cursor']}")
    assert reset["reset"] is True and [r["value"] for r in reset["rows"]] == [354.0]


def test_the_search_summary_points_at_the_dashboard(finished_run):
    last = (finished_run.parent / "finished.stdout").read_text().strip().splitlines()[-1]
    assert last.startswith(f"Browse it:     nas results serve {finished_run}")


def test_iterations_and_model_documents(finished_run):
    values = candidate_values(finished_run)
    parented = store_rows(finished_run, "SELECT archid, extra FROM candidates WHERE iteration=1")
    child, extra = next((a, json.loads(e)) for a, e in parented if json.loads(e).get("parent"))
    with serving([finished_run]) as url:
        _, its, _ = get(url + "/api/runs/0/iterations?since=1")
        assert {r["iteration"] for r in its["rows"]} == {1}
        assert len(its["rows"]) == store_rows(finished_run, "SELECT COUNT(*) FROM candidates WHERE iteration=1")[0][0]
        status, doc, _ = get(url + "/api/runs/0/model?archid=" + child.replace(",", "%2C").replace("=", "%3D"))
    assert status == 200 and doc["archid"] == child
    layers, kernel, hidden = (int(p.split("=")[1]) for p in child.split(","))
    assert doc["description"] == {"nb_layers": layers, "kernel_size": kernel, "hidden_dim": hidden}
    assert {e["objective"]: e["value"] for e in doc["evaluations"] if e["status"] == "ok"} == values[child]
    assert doc["lineage"][0]["archid"] == child and "+".join(doc["lineage"][0]["parents"]) == extra["parent"]
    val_acc = next(e for e in doc["evaluations"] if e["objective"] == "val_acc")
    assert val_acc["metadata"]["epochs_trained"] == 1  # the evaluator's metadata, as stored


def test_saved_files_are_linked_and_served_by_kind_never_by_path(finished_run):
    front = json.loads((finished_run / "pareto.json").read_text())
    archid = front[0]["archid"]
    arch_file = finished_run / "pareto_models" / safe_filename(archid)
    with serving([finished_run]) as url:
        _, doc, _ = get(url + "/api/runs/0/model?archid=" + archid)
        assert doc["files"]["arch"]["name"] == arch_file.name and doc["source"] == "pareto_models arch file"
        status, body, headers = get(url + "/files/0/arch?archid=" + archid)
        assert status == 200 and body == arch_file.read_bytes()
        assert "attachment" in headers["Content-Disposition"]
        for hostile in ("../experiment.yaml", "../../../../etc/passwd", "/etc/passwd", "..", "results.db"):
            status, err, _ = get(url + "/files/0/arch?archid=" + hostile)
            assert status == 404 and "no arch file" in err["error"]
        status, err, _ = get(url + "/files/0/secrets?archid=" + archid)
        assert status == 404 and "kinds: arch, weights" in err["error"]


@pytest.mark.parametrize("path, status, words", [
    ("/api/runs/0/evaluations?since=-1", 400, "parameter 'since' must be a whole number"),
    ("/api/runs/0/evaluations?since=abc", 400, "parameter 'since'"),
    ("/api/runs/0/iterations?since=1e3", 400, "parameter 'since'"),
    ("/api/runs/0/evaluations?since=" + "9" * 30, 400, "parameter 'since'"),
    ("/api/runs/1/overview", 404, "no run '1'"),
    ("/api/runs/x/overview", 404, "no run 'x'"),
    ("/api/runs/0/model", 400, "parameter 'archid' is required"),
    ("/api/runs/0/model?archid=", 400, "parameter 'archid' is required"),
    ("/api/runs/0/model?archid=" + "a" * 5000, 400, "longer than 4096"),
    ("/api/runs/0/model?archid=L%3D9,K%3D9,H%3D9", 404, "has no model"),
    ("/api/runs/0/unknown", 404, "no such page"),
    ("/static/../../../etc/passwd", 404, "no such"),
    ("/static/%2e%2e/runs.py", 404, "no such asset"),
    ("/static/app.py", 404, "no such asset"),
    ("/etc/passwd", 404, "no such page"),
    ("/api/runs/0/overview?" + "&".join(f"k{i}=1" for i in range(30)), 400, "Max number of fields"),
])
def test_bad_requests_get_one_clear_json_error(finished_run, path, status, words):
    with serving([finished_run]) as url:
        got, body, headers = get(url + path)
    assert got == status and words in body["error"], body
    assert headers["Content-Type"] == "application/json"


def test_assets_methods_hosts_and_headers(finished_run):
    with serving([finished_run]) as url:
        status, page, headers = get(url + "/")
        assert status == 200 and b"/static/app.js" in page and headers["Content-Security-Policy"].startswith("default-src 'self'")
        status, js, headers = get(url + "/static/chart.umd.min.js")
        assert status == 200 and b"Chart.js v4" in js[:200] and headers["Content-Type"].startswith("text/javascript")
        assert get(url + "/static/chart.js-LICENSE.md")[0] == 200
        status, body, _ = get(url + "/api/runs/0/overview", method="POST")
        assert status == 405 and "read-only" in body["error"]
        status, body, _ = get(url + "/api/runs", headers={"Host": "attacker.example:80"})
        assert status == 403 and "unexpected Host" in body["error"]
        port = url.rsplit(":", 1)[1]
        assert get(url + "/api/runs", headers={"Host": f"localhost:{port}"})[0] == 200
        assert get(url + "/api/runs/0/overview", method="HEAD")[0] == 200


def test_reading_a_run_writes_nothing_into_it(run_copy):
    """No file appears, vanishes or changes; only the mtime of ``results.db-shm`` may move:
    that file is SQLite's shared memory, which every WAL reader maps to coordinate with the
    writer (the database and its log are untouched)."""
    before = snapshot(run_copy)
    archid = store_rows(run_copy, "SELECT archid FROM candidates LIMIT 1")[0][0]
    with serving([run_copy]) as url:
        for path in ("/api/runs/0/overview", "/api/runs/0/evaluations?since=0", "/api/runs/0/iterations",
                     "/api/runs/0/model?archid=" + archid, "/files/0/arch?archid=" + archid):
            assert get(url + path)[0] == 200
    after = snapshot(run_copy)
    assert after.keys() == before.keys()
    assert {k: v for k, v in after.items() if k != "results.db-shm"} == \
        {k: v for k, v in before.items() if k != "results.db-shm"}
    assert after.get("results.db-shm", (0,))[0] == before.get("results.db-shm", (0,))[0]


def test_a_store_no_writer_has_open_is_read_without_creating_side_files(run_copy):
    import sqlite3

    from nas_kernel.store_reader import connect

    writer = sqlite3.connect(run_copy / "results.db")  # the last connection to close removes -wal/-shm
    writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    writer.close()
    names = sorted(os.listdir(run_copy))
    assert "results.db-wal" not in names
    conn = connect(str(run_copy), timeout=5, check_same_thread=False)  # the dashboard's connection
    assert conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0] > 0
    conn.close()
    assert sorted(os.listdir(run_copy)) == names


def test_hostile_store_values_still_give_valid_json(run_copy):
    store = Store(str(run_copy / "results.db"))
    store.record_evaluation("params", "../../../../tmp/escaped", None, Evaluation(float("nan"), "ok", None, 0.1, {}))
    store.conn.execute("UPDATE meta SET value='not json' WHERE key='objectives'")
    store.close()
    with serving([run_copy]) as url:
        status, ov, _ = get(url + "/api/runs/0/overview")
        assert status == 200 and ov["objectives"] == []
        _, rows, _ = get(url + "/api/runs/0/evaluations?since=0")
        row = next(r for r in rows["rows"] if r["archid"] == "../../../../tmp/escaped")
        assert row["value"] is None  # NaN is stored as NULL and travels as null
        status, doc, _ = get(url + "/api/runs/0/model?archid=../../../../tmp/escaped")
        assert status == 200 and doc["files"] == {}
    assert not os.path.exists("/tmp/escaped")


# ---- the command --------------------------------------------------------------------------------
def run_command(args, timeout=120):
    proc = nas(["results", "serve", *args])
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def invoke(args):
    """`nas` in this process, with the installed plugins (the dashboard's command included)."""
    from click.testing import CliRunner

    from nas_kernel.cli import make_cli
    from nas_kernel.plugins import call_register_commands, make_plugin_manager

    manager = make_plugin_manager()
    cli = make_cli()
    call_register_commands(manager, cli)
    return CliRunner().invoke(cli, args, obj=manager)


def test_missing_and_non_store_directories_exit_2_with_one_message(tmp_path):
    result = invoke(["results", "serve", str(tmp_path / "nope")])
    assert result.exit_code == 2 and result.stderr.strip() == f"nas: error: {tmp_path / 'nope'}: no such directory"
    assert result.stdout == ""
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "results.db").write_bytes(b"this is not sqlite at all" * 100)
    result = invoke(["results", "serve", str(tmp_path / "empty")])
    assert result.exit_code == 2 and "not a run directory (no results.db" in result.stderr
    assert result.stderr.count("\n") == 1
    result = invoke(["results", "serve", str(tmp_path / "bad")])
    assert result.exit_code == 2 and "results.db is not a results store" in result.stderr
    assert "Traceback" not in result.output and os.listdir(tmp_path / "empty") == []


def test_port_in_use_is_one_clear_message_and_serving_stops_on_sigterm(finished_run):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        code, _, err = run_command([str(finished_run), "--port", str(port)])
    assert code == 2 and err.strip() == (f"nas: error: port {port} on 127.0.0.1 is already in use; pick another "
                                         "with --port N (--port 0 takes any free one)")
    proc = nas(["results", "serve", str(finished_run), "--port", "0"])
    try:
        line = proc.stdout.readline()
        assert line.startswith("Serving run read-only at http://127.0.0.1:"), line
        url = line.split()[4].rstrip("/")
        status, runs, _ = wait_for(lambda: get(url + "/api/runs"), 30, "the served page")
        assert status == 200 and runs["runs"][0]["path"] == str(finished_run)
        # a model page rebuilds the run's search space (the test plugin's) with the command's plugins,
        # from a request thread the command's own scope does not reach
        archid = sorted(candidate_values(finished_run))[0]
        status, doc, _ = get(url + "/api/runs/0/model?archid=" + archid.replace(",", "%2C").replace("=", "%3D"))
        layers, kernel, hidden = (int(p.split("=")[1]) for p in archid.split(","))
        assert status == 200 and doc["description"] == {"nb_layers": layers, "kernel_size": kernel,
                                                         "hidden_dim": hidden}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0
