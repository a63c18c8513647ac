"""Crafted files handed to the kernel: they are refused with a message, never executed or
followed outside the output directory."""
import json
import os

from click.testing import CliRunner

from nas_kernel.cli import make_cli
from nas_kernel.store import Store


def invoke(manager, args):
    return CliRunner().invoke(make_cli(), args, obj=manager)


def test_resume_on_a_file_that_is_not_a_store_is_refused(toy_manager, experiment):
    path, out = experiment
    out.mkdir(parents=True)
    (out / "results.db").write_bytes(b"not sqlite at all" * 100)
    result = invoke(toy_manager, ["search", str(path), "--resume", "-q"])
    assert result.exit_code == 2 and "is not a results store" in result.output
    assert (out / "results.db").read_bytes().startswith(b"not sqlite")  # untouched


def test_results_show_on_a_crafted_store_is_an_error_not_a_crash(toy_manager, tmp_path):
    (tmp_path / "results.db").write_bytes(b"\x00" * 4096)
    result = invoke(toy_manager, ["results", "show", str(tmp_path)])
    assert result.exit_code == 2 and "nas: error" in result.output


def test_archids_from_a_store_never_escape_the_output_directory(toy_manager, experiment, tmp_path):
    path, out = experiment
    assert invoke(toy_manager, ["search", str(path), "-q"]).exit_code == 0
    store = Store(str(out / "results.db"))
    store.conn.execute("UPDATE candidates SET archid='../../../../tmp/escaped' WHERE position=0")
    store.conn.execute("UPDATE evaluations SET archid='../../../../tmp/escaped' WHERE archid IN "
                       "(SELECT archid FROM candidates LIMIT 1)")
    store.close()
    plot_dir = tmp_path / "plots_out"
    assert invoke(toy_manager, ["results", "plot", str(out), "--out", str(plot_dir)]).exit_code == 0
    assert invoke(toy_manager, ["results", "show", str(out), "--all"]).exit_code == 0
    assert not os.path.exists("/tmp/escaped")


def test_cache_file_with_python_tags_is_refused_by_the_loader(tmp_path):
    from nas_kernel import SearchObjectives

    evil = tmp_path / "evaluations.yaml"
    evil.write_text("- !!python/object/apply:os.system ['touch /tmp/nas-cache-pwned']\n")
    so = SearchObjectives()
    try:
        so.load_cache(str(evil))
    except ValueError as exc:
        assert "not a cache file" in str(exc)
    assert not os.path.exists("/tmp/nas-cache-pwned")


def test_saved_experiment_with_python_tags_is_refused_on_resume(toy_manager, experiment):
    path, out = experiment
    assert invoke(toy_manager, ["search", str(path), "-q"]).exit_code == 0
    (out / "experiment.yaml").write_text("seed: !!python/object/apply:os.getpid []\n")
    result = invoke(toy_manager, ["search", "--resume", "-o", str(out), "-q"])
    assert result.exit_code == 2 and "invalid YAML" in result.output
    assert json.loads((out / "pareto.json").read_text())  # the finished run is untouched
