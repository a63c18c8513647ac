"""process_pool with devices: which device each worker is pinned to, seen from inside the worker;
the worker counts; and a candidate running out of memory in a worker."""
import os

import pytest
import torch

from nas_evaluators.testing.device_models import OutOfMemoryAfterAllocating, probe
from nas_kernel.testing.reference import Glyphs
from nas_kernel.toolbox import devices
from nas_kernel.api import ArchaiModel
from nas_evaluators import EvaluationFunction, PartialTraining, ProcessPoolEvaluator
from nas_evaluators.process_pool import worker_devices

HAS_CUDA = torch.cuda.is_available()
GPUS = torch.cuda.device_count() if HAS_CUDA else 0


def test_worker_environment_names_one_gpu_of_the_parents_or_none():
    assert devices.worker_environment("cuda:1", {}) == {"CUDA_VISIBLE_DEVICES": "1"}
    assert devices.worker_environment("cuda:1", {"CUDA_VISIBLE_DEVICES": "2,3"}) == {"CUDA_VISIBLE_DEVICES": "3"}
    assert devices.worker_environment("cuda:0", {"CUDA_VISIBLE_DEVICES": "GPU-5d1c, GPU-77aa"}) == {
        "CUDA_VISIBLE_DEVICES": "GPU-5d1c"}
    assert devices.worker_environment("cpu", {"CUDA_VISIBLE_DEVICES": "0"}) == {"CUDA_VISIBLE_DEVICES": ""}
    with pytest.raises(ValueError, match="CUDA_VISIBLE_DEVICES"):
        devices.worker_environment("cuda:2", {"CUDA_VISIBLE_DEVICES": "0,1"})


def test_worker_counts_and_placement():
    assert worker_devices(None, None, None) == [None, None]  # as before devices existed
    assert worker_devices(None, 3, None) == [None] * 3
    assert worker_devices(["cpu"], None, 2) == ["cpu", "cpu"]
    if HAS_CUDA:
        gpus = [f"cuda:{i}" for i in range(GPUS)]
        assert sorted(worker_devices("auto", None, 2)) == sorted(gpus * 2)
    else:  # no GPU: auto is CPU workers, as without devices
        assert worker_devices("auto", None, None) == ["cpu", "cpu"]
        assert worker_devices("auto", 3, None) == ["cpu"] * 3
    for args, word in [((None, None, 2), "workers_per_device needs devices"), ((["cpu"], 2, 2), "not both"),
                       (([], None, None), "devices"), (("all", None, None), "devices"),
                       ((["cpu", "tpu"], None, None), r"devices\[1\]"), ((["cpu"], None, 0), "workers_per_device")]:
        with pytest.raises(ValueError, match=word):
            worker_devices(*args)


@pytest.mark.skipif(HAS_CUDA, reason="needs a machine without a GPU")
def test_a_gpu_in_devices_without_one_is_refused_naming_the_entry():
    with pytest.raises(ValueError, match=r"^devices\[0\] is 'cuda:0' but torch sees no CUDA device"):
        ProcessPoolEvaluator(EvaluationFunction("nas_evaluators.testing.device_models:where_am_i"), devices=["cuda:0"])


def _inside(pool, n):
    models = [ArchaiModel(None, f"m{i}") for i in range(n)]
    for m in models:
        pool.send(m)
    assert pool.fetch_all() == [1.0] * n
    return models


def test_cpu_workers_are_pinned_and_see_no_gpu():
    parent_before = os.environ.get("CUDA_VISIBLE_DEVICES")
    with ProcessPoolEvaluator(EvaluationFunction("nas_evaluators.testing.device_models:where_am_i"), devices=["cpu"],
                              workers_per_device=2) as pool:
        models = _inside(pool, 4)
    assert {m.metadata["pinned"] for m in models} == {"cpu"}
    assert {m.metadata["cuda_visible"] for m in models} == {""}
    assert {m.metadata["cuda_visible_at_start"] for m in models} <= {"", "(no /proc)"}  # set before torch ran
    assert os.environ.get("CUDA_VISIBLE_DEVICES") == parent_before  # the parent's own is left alone
    assert {m.metadata["torch_sees_gpus"] for m in models} == {0}
    assert {m.metadata["worker_device"] for m in models} == {"cpu"}


@pytest.mark.skipif(not HAS_CUDA, reason="torch sees no GPU")
def test_gpu_workers_each_see_their_own_gpu_and_train_on_it():
    with ProcessPoolEvaluator(EvaluationFunction("nas_evaluators.testing.device_models:where_am_i"), devices="auto",
                              workers_per_device=2) as pool:
        models = _inside(pool, 4 * GPUS)
    assert {m.metadata["pinned"] for m in models} == {"cuda:0"}
    assert {m.metadata["torch_sees_gpus"] for m in models} == {1}
    assert {m.metadata["cuda_visible_at_start"] for m in models} | {"(no /proc)"} == \
        {m.metadata["cuda_visible"] for m in models} | {"(no /proc)"}
    assert {m.metadata["worker_device"] for m in models} == {f"cuda:{i}" for i in range(GPUS)}
    trainer = PartialTraining(Glyphs(seed=1), epochs=1, progress_bar=False, precision="bf16", seed=2)
    with ProcessPoolEvaluator(trainer, devices="auto") as pool:
        models = [probe(f"p{i}") for i in range(2)]
        for m in models:
            pool.send(m)
        values = pool.fetch_all()
    assert all(v is not None and 0.8 < v <= 1 for v in values), pool.last_errors
    assert {m.metadata["device"] for m in models} == {"cuda:0"}


def test_out_of_memory_in_a_worker_is_a_failed_job_and_the_worker_goes_on():
    trainer = PartialTraining(Glyphs(seed=1), epochs=1, progress_bar=False, device="cpu")
    with ProcessPoolEvaluator(trainer, devices=["cpu"]) as pool:
        models = [ArchaiModel(OutOfMemoryAfterAllocating(), "too-big"), probe("fits")]
        for m in models:
            pool.send(m)
        values = pool.fetch_all()
        pid = pool.worker_pids()[0]
        assert values[0] is None and 0.8 < values[1] <= 1
        assert pool.last_errors["too-big"].startswith("OutOfMemory: partial_training of too-big")
        assert "ran out of memory on cpu" in pool.last_errors["too-big"]
        assert pool.worker_pids() == [pid]  # the same worker, still alive, trained the next one
