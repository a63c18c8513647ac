"""Latency tables: built through the CLI and in Python, round-tripped through the file, read by the
latency_table evaluator in a search run end to end; a table from another device or with other
settings is refused (or used with a warning when asked); bad input is one exit-2 line."""
import json
import warnings

import pytest

from .edge_support import TINY_SPACE, has_cuda, nas, search_rows, table_objective, write_experiment
from nas_edge.block_contract import check_lists_blocks, require_block_listing
from nas_edge.latency_table import build_table, fit_scale, load_table, predict_ms, save_table
from nas_edge.latency_table_evaluator import LatencyTableEvaluator, LatencyTableWarning
from nas_edge.mobilenet_space import MobileNetSearchSpace
from nas_edge.timing import TimingSettings, interleaved_ms, runner

FAST = ["--samples", "3", "--warmups", "1", "--calibration", "2", "--rounds", "2", "--seconds", "0", "-q"]
INT8_SIZE = {"name": "int8_mb", "higher_is_better": False, "compute_intensive": False,
             "evaluator": {"name": "int8", "params": {"metric": "size_mb", "mode": "dynamic"}}}
RECORD = {"name": "mobilenet", "params": TINY_SPACE, "from_data": {}, "seed": 1, "base_dir": None}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A folder with an experiment and the table its CLI build wrote."""
    folder = tmp_path_factory.mktemp("edge")
    write_experiment(folder, [table_objective(), INT8_SIZE])
    result = nas(folder, "latency-table", "build", "experiment.yaml", "-o", "table.json", *FAST)
    assert result.returncode == 0, result.stderr
    return folder, result


def space():
    return MobileNetSearchSpace(**TINY_SPACE, seed=5)


def test_cli_build_writes_every_block_with_device_and_settings(built):
    folder, result = built
    table = load_table(str(folder / "table.json"))
    assert "table.json:" in result.stdout and "blocks" in result.stdout
    assert set(table["blocks"]) == {b["key"] for b in space().latency_block_universe()}
    assert all(row["ms"] > 0 for row in table["blocks"].values())
    assert table["settings"] == {"device": "cpu", "runtime": "torch", "threads": 1, "batch_size": 1, "warmups": 1,
                                 "samples": 3, "statistic": "median", "clock": "wall"}
    assert table["device"]["kind"] == "cpu" and table["device"]["name"]
    assert table["libraries"]["torch"] and len(table["calibration"]) == 2
    assert (table["rounds"], table["seconds"]) == (2, 0)  # the timing options reached the builder
    assert table["space"]["name"] == "mobilenet" and table["space"]["params"] == TINY_SPACE


def test_table_round_trips_and_predicts_sum_plus_fixed_part(tmp_path):
    s = space()
    table = build_table(s, RECORD, TimingSettings(warmups=1, samples=2), calibration=1, seconds=0)
    save_table(table, str(tmp_path / "t.json"))
    again = load_table(str(tmp_path / "t.json"))
    assert again == json.loads(json.dumps(table))
    evaluator = LatencyTableEvaluator(str(tmp_path / "t.json"))
    model = s.random_sample()
    blocks = s.latency_blocks(model)
    expected = table["fixed_ms"] + sum(table["blocks"][b["key"]]["ms"] for b in blocks)
    assert evaluator.evaluate(model) == pytest.approx(expected)
    assert predict_ms(again, blocks) == pytest.approx(expected)


def test_mobilenet_keeps_the_block_contract():
    check_lists_blocks(space())
    with pytest.raises(ValueError, match="cannot list its architectures' blocks.*latency_blocks"):
        require_block_listing(object(), "plain")


def test_search_with_latency_table_runs_end_to_end(built):
    result, rows = search_rows(built[0])
    assert len(rows) == 4 and "latency_ms" in rows[0] and "int8_mb" in rows[0]
    assert "Pareto front" in result.stdout


def foreign_copy(folder, name, **changes):
    table = json.loads((folder / "table.json").read_text())
    for key, value in changes.items():
        table[key].update(value)
    (folder / name).write_text(json.dumps(table))
    return folder / name


def test_table_from_another_device_is_refused_by_nas_search(built, tmp_path):
    folder, _ = built
    foreign_copy(folder, "phone.json", device={"name": "Cortex-A76 (phone)"})
    write_experiment(tmp_path, [table_objective(table=str(folder / "phone.json"))])
    result = nas(tmp_path, "search", "experiment.yaml", "-q")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "objectives[0].evaluator" in lines[0] and "Cortex-A76 (phone)" in lines[0]
    assert "allow_other_device" in lines[0]


def test_table_from_another_device_is_used_with_a_warning_when_asked(built):
    folder, _ = built
    path = foreign_copy(folder, "phone2.json", device={"name": "Cortex-A76 (phone)"})
    with pytest.warns(LatencyTableWarning, match="Cortex-A76"):
        evaluator = LatencyTableEvaluator(str(path), allow_other_device=True)
    assert evaluator.evaluate(space().random_sample()) > 0


def test_other_settings_are_refused(built):
    folder, _ = built
    with pytest.raises(ValueError, match="runtime is 'torch' in the table, 'onnxruntime' here"):
        LatencyTableEvaluator(str(folder / "table.json"), runtime="onnxruntime")
    with pytest.raises(ValueError, match="threads is 1 in the table, 4 here"):
        LatencyTableEvaluator(str(folder / "table.json"), threads=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LatencyTableEvaluator(str(folder / "table.json"), device="cpu", runtime="torch", threads=1)


def test_a_block_the_table_lacks_is_a_failed_evaluation_naming_it(built):
    folder, _ = built
    table = json.loads((folder / "table.json").read_text())
    model = space().random_sample()
    missing = space().latency_blocks(model)[3]["key"]
    del table["blocks"][missing]
    (folder / "partial.json").write_text(json.dumps(table))
    with pytest.raises(ValueError, match=f"has block '{missing}', which latency table"):
        LatencyTableEvaluator(str(folder / "partial.json")).evaluate(model)


@pytest.mark.parametrize("content, says", [
    (None, "does not exist"), ("not json", "is not a latency table"), ('{"format": "other"}', "is not a latency table"),
])
def test_bad_table_files_are_one_exit_2_line(tmp_path, content, says):
    if content is not None:
        (tmp_path / "table.json").write_text(content)
    write_experiment(tmp_path, [table_objective()])
    result = nas(tmp_path, "search", "experiment.yaml", "-q")
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and says in result.stderr


@pytest.mark.parametrize("args, says", [
    (["missing.yaml"], "no such file"),
    (["experiment.yaml", "--device", "cuda:7"], "device is 'cuda:7'"),
])
def test_bad_build_input_is_one_exit_2_line(tmp_path, args, says):
    write_experiment(tmp_path, [table_objective()])
    result = nas(tmp_path, "latency-table", "build", *args, "-o", "t.json", "-q")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and says in result.stderr
    assert not (tmp_path / "t.json").exists()


def test_unknown_space_parameter_is_one_exit_2_line(tmp_path):
    write_experiment(tmp_path, [table_objective()], space={**TINY_SPACE, "kernels": [3, 4]})
    result = nas(tmp_path, "latency-table", "build", "experiment.yaml", "-o", "t.json", "-q")
    assert result.returncode == 2 and "kernels must be odd" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not has_cuda(), reason="needs a CUDA GPU (run by scripts/gpu_check.sh on a GPU machine)"))])
@pytest.mark.parametrize("runtime", ["torch", "onnxruntime"])
def test_builds_and_predicts_on_each_device_and_runtime(tmp_path, device, runtime):
    if device == "cuda" and runtime == "onnxruntime":
        ort = pytest.importorskip("onnxruntime")
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            pytest.skip("onnxruntime without the CUDA execution provider")
    s = MobileNetSearchSpace(**{**TINY_SPACE, "resolutions": [8]}, seed=2)
    settings = TimingSettings.checked(device=device, runtime=runtime, warmups=1, samples=2)
    table = build_table(s, {**RECORD, "params": {**TINY_SPACE, "resolutions": [8]}}, settings, calibration=1,
                        seconds=0)
    assert table["settings"]["device"] == settings.device and table["device"]["kind"] == device
    save_table(table, str(tmp_path / "t.json"))
    evaluator = LatencyTableEvaluator(str(tmp_path / "t.json"), device=device, runtime=runtime)
    assert evaluator.evaluate(s.random_sample()) > 0


def test_calibration_fits_a_scale_and_a_fixed_part_folded_into_the_blocks(tmp_path):
    s = space()
    table = build_table(s, RECORD, TimingSettings(warmups=0, samples=1), calibration=4, rounds=2, seconds=0)
    assert table["rounds"] == 2 and len(table["calibration"]) == 4 and table["fit"] in ("least_squares", "offset")
    scale, fixed, fit = fit_scale(table["calibration"])
    assert (table["scale"], table["fixed_ms"], table["fit"]) == (scale, fixed, fit)
    for row in table["blocks"].values():
        assert row["ms"] == pytest.approx(scale * max(0.0, row["alone_ms"] - table["call_ms"]))
    save_table(table, str(tmp_path / "t.json"))
    model = s.random_sample()
    blocks = s.latency_blocks(model)
    assert predict_ms(load_table(str(tmp_path / "t.json")), blocks) == pytest.approx(
        fixed + scale * sum(max(0.0, table["blocks"][b["key"]]["alone_ms"] - table["call_ms"]) for b in blocks))


def test_fit_scale_is_least_squares_with_a_median_offset_fallback():
    rows = [{"blocks_ms": x, "measured_ms": 1.2 * x + 0.5} for x in (4.0, 5.0, 7.0, 9.0)]
    scale, fixed, fit = fit_scale(rows)
    assert (scale, fixed, fit) == (pytest.approx(1.2), pytest.approx(0.5), "least_squares")
    # too few rows, identical rows, or an implausible slope: scale 1 and the median difference
    assert fit_scale(rows[:2]) == (1.0, pytest.approx(1.4), "offset")
    same = [{"blocks_ms": 5.0, "measured_ms": m} for m in (6.0, 6.5, 7.5)]
    assert fit_scale(same) == (1.0, 1.5, "offset")
    steep = [{"blocks_ms": x, "measured_ms": 10 * x} for x in (1.0, 2.0, 3.0)]
    assert fit_scale(steep) == (1.0, 18.0, "offset")
    assert fit_scale([]) == (1.0, 0.0, "offset")


def test_interleaved_timing_runs_each_module_every_round_and_until_the_seconds_passed():
    import torch

    calls = {"a": 0, "b": 0}

    def counting(name, module):
        def hook(*_):
            calls[name] += 1
        module.register_forward_hook(hook)
        return module

    settings = TimingSettings(warmups=1, samples=2)
    runners = [runner(counting("a", torch.nn.Conv2d(3, 8, 3)), torch.randn(1, 3, 8, 8), settings),
               runner(counting("b", torch.nn.Linear(4, 2)), torch.randn(1, 4), settings)]
    figures = interleaved_ms(runners, settings, rounds=3)
    assert len(figures) == 2 and all(f > 0 for f in figures)
    assert calls == {"a": 9, "b": 9}
    interleaved_ms(runners, settings, rounds=1, seconds=0.2)
    assert calls["a"] > 9 + 3 and calls["a"] == calls["b"]


def test_onnxruntime_runner_runs_the_exported_block():
    pytest.importorskip("onnxruntime")
    settings = TimingSettings.checked(runtime="onnxruntime", warmups=0, samples=1)
    module, example = space().build_latency_block(space().latency_block_universe()[3])
    outputs = runner(module, example, settings)()
    assert outputs[0].shape == tuple(module.eval()(example).shape)


def test_a_table_written_before_the_fit_is_read_as_the_sum_plus_the_fixed_part(tmp_path):
    s = space()
    table = build_table(s, RECORD, TimingSettings(warmups=0, samples=1), calibration=1, seconds=0)
    for key in ("rounds", "seconds", "scale", "fit"):
        del table[key]
    save_table(table, str(tmp_path / "old.json"))
    blocks = s.latency_blocks(s.random_sample())
    assert predict_ms(load_table(str(tmp_path / "old.json")), blocks) == pytest.approx(
        table["fixed_ms"] + sum(table["blocks"][b["key"]]["ms"] for b in blocks))
