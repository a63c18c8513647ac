"""The `nas` command, in process (CliRunner) and as a real subprocess."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest
from click.testing import CliRunner

from support import TESTS, run_nas
from nas_kernel import hookimpl
from nas_kernel.cli import make_cli
from nas_kernel.plugins import call_register_commands


def invoke(manager, args):
    cli = make_cli()
    call_register_commands(manager, cli)
    return CliRunner().invoke(cli, args, obj=manager, catch_exceptions=False)


def test_plugins_list_table_and_json(toy_manager):
    result = invoke(toy_manager, ["plugins", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["NAME", "DISTRIBUTION", "VERSION", "STATUS", "COMPONENTS"]
    assert "searchers: toy_evolution, toy_random" in result.output
    assert lines[-1] == "1 plugin: 1 ok, 0 broken."
    rows = json.loads(invoke(toy_manager, ["plugins", "list", "--json"]).output)
    assert list(rows[0]) == ["name", "distribution", "version", "module", "status", "hooks", "components",
                             "conflicts", "error"]
    assert rows[0]["components"]["evaluators"] == ["async_distance", "distance", "noise", "size", "slow_distance"]


def test_components_show_parameters_from_signatures(toy_manager):
    result = invoke(toy_manager, ["components", "searchers"])
    assert result.exit_code == 0
    assert "toy_random" in result.output and "num_iters=5, samples_per_iter=10, seed=1" in result.output
    rows = json.loads(invoke(toy_manager, ["components", "--json"]).output)
    space = next(r for r in rows if r["name"] == "toy")
    assert space["parameters"] == [{"name": "size", "required": False, "default": 10000},
                                   {"name": "step", "required": False, "default": 5},
                                   {"name": "seed", "required": False, "default": 1}]


def test_plugin_commands_are_added_and_clashes_break_only_that_plugin(toy_manager):
    class Adds:
        @hookimpl
        def register_commands(self, cli):
            @cli.command(name="hello")
            def hello():
                print("hello from a plugin")

    class Clashes:
        @hookimpl
        def register_commands(self, cli):
            @cli.command(name="search")
            def search():
                pass

    toy_manager.register(Adds(), name="adds")
    toy_manager.register(Clashes(), name="clashes")
    assert invoke(toy_manager, ["hello"]).output == "hello from a plugin\n"
    assert toy_manager.records["clashes"].error["message"] == "command name(s) search already taken"
    rows = {r["name"]: r for r in json.loads(invoke(toy_manager, ["plugins", "list", "--json"]).output)}
    assert rows["adds"]["components"] == {"commands": ["hello"]}


def test_a_plugin_may_add_a_subcommand_to_a_kernel_group_and_is_undone_there_when_broken(toy_manager):
    class AddsToResults:
        @hookimpl
        def register_commands(self, cli):
            @cli.commands["results"].command(name="count")
            def count():
                print("counted")

    class BreaksAfterAdding:
        @hookimpl
        def register_commands(self, cli):
            @cli.commands["results"].command(name="half")
            def half():
                pass
            raise RuntimeError("failed half-way")

    class ReplacesShow:
        @hookimpl
        def register_commands(self, cli):
            @cli.commands["results"].command(name="show")
            def show():
                pass

    for plugin in (AddsToResults(), BreaksAfterAdding(), ReplacesShow()):
        toy_manager.register(plugin, name=type(plugin).__name__)
    assert invoke(toy_manager, ["results", "count"]).output == "counted\n"
    rows = {r["name"]: r for r in json.loads(invoke(toy_manager, ["plugins", "list", "--json"]).output)}
    assert rows["AddsToResults"]["components"] == {"commands": ["results count"]}
    assert toy_manager.records["ReplacesShow"].error["message"] == "command name(s) results show already taken"
    assert toy_manager.records["BreaksAfterAdding"].broken
    assert invoke(toy_manager, ["results", "half"]).exit_code == 2  # removed with its plugin
    assert "Summary: status, counts" in invoke(toy_manager, ["results", "show", "--help"]).output  # the kernel's, kept


def test_search_runs_and_prints_the_front_and_paths(toy_manager, experiment):
    path, out = experiment
    result = invoke(toy_manager, ["search", str(path), "-q"])
    assert result.exit_code == 0, result.output
    assert "Pareto front (" in result.output and f"search state:  {out}/search_state.csv" in result.output
    shown = invoke(toy_manager, ["results", "show", str(out)])
    assert shown.exit_code == 0 and "4 iterations" in shown.output and "finished" in shown.output
    plotted = invoke(toy_manager, ["results", "plot", str(out), "--out", str(out / "p")])
    assert plotted.output.strip().endswith("pareto_distance_vs_size.png")


def test_bad_input_exits_2_with_one_line_and_writes_nothing(toy_manager, experiment, tmp_path):
    path, out = experiment
    path.write_text(path.read_text().replace("toy_evolution", "toy_evolutoin"))
    result = invoke(toy_manager, ["search", str(path)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "key 'searcher.name'" in result.output
    assert "Choose one of: toy_evolution, toy_random" in result.output and "Traceback" not in result.output
    assert not out.exists()
    assert invoke(toy_manager, ["results", "show", str(tmp_path / "none")]).exit_code == 2


def test_set_seed_and_existing_output(toy_manager, experiment):
    path, out = experiment
    assert invoke(toy_manager, ["search", str(path), "-q", "--set", "searcher.params.num_iters=2",
                                "--seed", "8"]).exit_code == 0
    assert pd.read_csv(out / "search_state.csv")["iteration_num"].max() == 1
    again = invoke(toy_manager, ["search", str(path), "-q"])
    assert again.exit_code == 2 and "already holds a search" in again.output
    other = invoke(toy_manager, ["search", str(path), "-q", "--resume"])
    assert other.exit_code == 2 and "different experiment" in other.output


def test_failing_search_exits_1(toy_manager, experiment):
    path, out = experiment
    text = path.read_text().replace("{name: distance}", "{name: distance, params: {fail_every: 1}}")
    path.write_text(text.replace("seed: 3", "seed: 3\nmax_failures: 2"))
    result = invoke(toy_manager, ["search", str(path), "-q"])
    assert result.exit_code == 1 and "evaluations failed (max_failures is 2)" in result.output
    shown = invoke(toy_manager, ["results", "show", str(out)])
    assert "Failed evaluations" in shown.output and "toy failure" in shown.output


# ---- real subprocesses ---------------------------------------------------------------------


def test_installed_plugin_search_and_broken_plugin_in_a_subprocess(tmp_path, toy_site, experiment):
    path, out = experiment
    (toy_site / "fake_broken_sub.py").write_text("raise ImportError('missing dependency xyz')\n")
    info = toy_site / "fake_broken_sub-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-broken-sub\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[nas_kernel]\nbroken_sub = fake_broken_sub\n")
    env = {"NAS_LOAD_PLUGINS": "nas-toy,fake-broken-sub"}
    listed = run_nas(["plugins", "list", "--json"], pythonpath=[toy_site], env_extra=env)
    assert listed.returncode == 0
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert rows["broken_sub"]["status"] == "broken" and rows["toy"]["status"] == "ok"
    done = run_nas(["search", str(path), "-q"], pythonpath=[toy_site], env_extra=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("plugin 'broken_sub' (fake-broken-sub 1.0) failed to load") == 1
    assert (out / "search_state.csv").exists()
    none = run_nas(["plugins", "list"], pythonpath=[toy_site], env_extra={"NAS_LOAD_PLUGINS": ""})
    assert none.returncode == 0 and none.stdout.strip() == "0 plugins: 0 ok, 0 broken."


SLOW = """\
seed: 2
output_dir: {out}
search_space: {{name: toy}}
objectives:
  - {{name: distance, higher_is_better: false, evaluator: {{name: slow_distance, params: {{sleep: 0.03, log: {log}}}}}}}
  - {{name: size, higher_is_better: true, compute_intensive: false, evaluator: {{name: size}}}}
searcher: {{name: toy_evolution, params: {{num_iters: 8, population: 8}}}}
"""


def start(args, toy_site):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(toy_site), str(TESTS)]), NAS_LOAD_PLUGINS="nas-toy")
    return subprocess.Popen([sys.executable, "-m", "nas_kernel.cli", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stored(out):
    if not (out / "results.db").exists():
        return 0
    with sqlite3.connect(out / "results.db") as conn:
        try:
            return conn.execute("SELECT COUNT(*) FROM evaluations WHERE objective='distance'").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_search_resumes_to_the_same_result_without_recomputing(tmp_path, toy_site, sig):
    ref_out, cut_out = tmp_path / "ref", tmp_path / "cut"
    ref_log, cut_log = tmp_path / "ref.log", tmp_path / "cut.log"
    (tmp_path / "ref.yaml").write_text(SLOW.format(out=ref_out, log=ref_log))
    exp = tmp_path / "cut.yaml"
    exp.write_text(SLOW.format(out=cut_out, log=cut_log))
    ref = start(["search", str(tmp_path / "ref.yaml"), "-q"], toy_site)
    proc = start(["search", str(exp), "-q"], toy_site)
    deadline = time.time() + 60
    while stored(cut_out) < 20 and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    if sig == signal.SIGTERM:
        assert proc.returncode == 130 and "Resume with: nas search" in err and "--resume" in err
    else:
        assert proc.returncode == -signal.SIGKILL
    before = stored(cut_out)
    with sqlite3.connect(cut_out / "results.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored_ids = {row[0] for row in conn.execute("SELECT archid FROM evaluations WHERE objective='distance'")}
    computed_before = cut_log.read_text().split()
    resumed = start(["search", str(exp), "-q", "--resume"], toy_site)
    assert resumed.wait(timeout=120) == 0, resumed.stderr.read()
    assert ref.wait(timeout=120) == 0
    computed = cut_log.read_text().split()
    again = computed[len(computed_before):]
    assert stored_ids and not stored_ids & set(again)  # nothing stored was computed again
    assert len(again) == len(set(again))
    # the evaluator logs before the store commits: a kill between the two loses (and the resume
    # recomputes) at most the one evaluation in flight
    assert len(computed) - len(set(computed)) <= 1
    assert len(computed_before) >= before
    cut = pd.read_csv(cut_out / "search_state.csv").drop(columns=["search_walltime_hours"])
    full = pd.read_csv(ref_out / "search_state.csv").drop(columns=["search_walltime_hours"])
    assert cut.equals(full)
    assert json.loads((cut_out / "pareto.json").read_text()) == json.loads((ref_out / "pareto.json").read_text())


def test_results_show_while_a_search_is_writing(tmp_path, toy_site):
    out, log = tmp_path / "run", tmp_path / "log"
    exp = tmp_path / "exp.yaml"
    exp.write_text(SLOW.format(out=out, log=log).replace("sleep: 0.03", "sleep: 0.2"))  # ~13 s of search
    proc = start(["search", str(exp), "-q"], toy_site)
    try:
        deadline = time.time() + 60
        while stored(out) < 5 and time.time() < deadline:
            time.sleep(0.05)
        for _ in range(3):
            shown = run_nas(["results", "show", str(out)], pythonpath=[toy_site], env_extra={"NAS_LOAD_PLUGINS": ""})
            assert shown.returncode == 0, shown.stderr
            assert "running" in shown.stdout.splitlines()[0]
    finally:
        assert proc.wait(timeout=120) == 0


def test_plugins_new_scaffolds_and_refuses_bad_names_and_existing_targets(toy_manager, tmp_path):
    made = invoke(toy_manager, ["plugins", "new", "nas-my-evals", "--kind", "evaluator", "-d", str(tmp_path)])
    assert made.exit_code == 0 and "pip install -e" in made.output
    assert (tmp_path / "nas-my-evals" / "pyproject.toml").exists()
    again = invoke(toy_manager, ["plugins", "new", "nas-my-evals", "--kind", "evaluator", "-d", str(tmp_path)])
    assert again.exit_code == 2 and again.output.startswith("nas: error:")
    bad = invoke(toy_manager, ["plugins", "new", "Bad Name!", "-d", str(tmp_path)])
    assert bad.exit_code == 2 and bad.output.startswith("nas: error:")


def test_plugins_list_hook_filter_and_version(toy_manager):
    class Hooked:
        @hookimpl
        def on_search_end(self, searcher, results):
            pass

    toy_manager.register(Hooked(), name="hooked")
    rows = json.loads(invoke(toy_manager, ["plugins", "list", "--json", "--hook", "on_search_end"]).output)
    assert [r["name"] for r in rows] == ["hooked"]
    assert "0 plugins" in invoke(toy_manager, ["plugins", "list", "--hook", "register_ops"]).output
    version = invoke(toy_manager, ["--version"])
    assert version.exit_code == 0 and version.output.startswith("nas, version ")


def test_resume_without_a_file_uses_the_saved_experiment_and_recomputes_nothing(toy_manager, experiment):
    path, out = experiment
    assert invoke(toy_manager, ["search", str(path), "-q"]).exit_code == 0
    before = pd.read_csv(out / "search_state.csv").drop(columns=["search_walltime_hours"])
    distance = toy_manager.registry.get("evaluators", "distance").load()
    calls = []
    original = distance.evaluate
    distance.evaluate = lambda self, model, budget=None: calls.append(model.archid) or original(self, model, budget)
    try:
        result = invoke(toy_manager, ["search", "--resume", "-o", str(out), "-q"])
    finally:
        distance.evaluate = original
    assert result.exit_code == 0, result.output
    assert calls == []
    assert pd.read_csv(out / "search_state.csv").drop(columns=["search_walltime_hours"]).equals(before)


BUGGY_PLUGIN = """\
from overrides import overrides

from nas_kernel import hookimpl, ModelEvaluator


class Buggy(ModelEvaluator):
    def __init__(self, scale: float = 1.0) -> None:
        self.table = {}
        self.offset = self.table["offset"]  # a bug: KeyError, not a refused parameter

    @overrides
    def evaluate(self, arch, budget=None):
        return 0.0


@hookimpl
def register_evaluators(register):
    register("buggy", Buggy)
"""


def test_a_factory_bug_is_exit_1_naming_the_plugin_with_the_traceback_kept(tmp_path, toy_site, experiment):
    path, out = experiment
    (toy_site / "fake_buggy.py").write_text(BUGGY_PLUGIN)
    info = toy_site / "fake_buggy-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-buggy\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[nas_kernel]\nfake_buggy = fake_buggy\n")
    path.write_text(path.read_text().replace("evaluator: {name: distance}", "evaluator: {name: buggy}"))
    env = {"NAS_LOAD_PLUGINS": "nas-toy,fake-buggy"}
    done = run_nas(["search", str(path), "-q"], pythonpath=[toy_site], env_extra=env)
    assert done.returncode == 1, done.stderr
    assert "evaluator 'buggy' of plugin 'fake_buggy' (fake-buggy 1.0) failed to build" in done.stderr
    assert "KeyError: 'offset'" in done.stderr and "bug in the plugin" in done.stderr
    assert f"traceback in {out / 'error.log'}" in done.stderr and "Traceback" not in done.stderr
    log = (out / "error.log").read_text()
    assert "Traceback" in log and 'self.offset = self.table["offset"]' in log and "ComponentBuildError" in log
    traced = run_nas(["search", str(path), "-q"], pythonpath=[toy_site], env_extra={**env, "NAS_TRACE_PLUGINS": "1"})
    assert traced.returncode == 1
    assert "nas trace: register_evaluators -> fake_buggy (register)" in traced.stderr
    assert "Traceback" in traced.stderr and 'self.offset = self.table["offset"]' in traced.stderr
