"""The GPU paths a reading of the code found wrong, held where the CPU can show them (pool workers
that start DataLoader workers, measurements in a pinned worker, a worker poisoned by a CUDA error,
memory shared by the workers of one device, Ray tasks without a GPU, no host synchronisation in
the training loop) and, on CUDA, where torch sees a GPU (skipped otherwise)."""
import time

import pytest
import torch
from torch import nn

from nas_evaluators.testing.device_models import probe
from nas_kernel.toolbox import devices
from nas_kernel.api import ArchaiModel
from nas_kernel.testing.reference import Glyphs
from nas_evaluators import (AvgOnnxLatency, EvaluationFunction, PartialTraining, ProcessPoolEvaluator,
                            TorchLatency, TorchPeakCpuMemory)
from nas_evaluators.batches import Augment, Palette, choose_loader, release_loaders, resident_split, split_bytes
from nas_evaluators.deterministic_pooling import MatrixAdaptiveAvgPool2d, make_pooling_deterministic
from nas_evaluators.ray_evaluator import place_task

HAS_CUDA = torch.cuda.is_available()
ON_EVERY_DEVICE = pytest.mark.parametrize("device", [
    "cpu", pytest.param("cuda", marks=pytest.mark.skipif(not HAS_CUDA, reason="torch sees no GPU"))])
IMAGES = Glyphs(seed=1)


@pytest.fixture
def unpinned(monkeypatch):
    """This process as a pool worker would be, put back afterwards."""
    monkeypatch.setattr(devices, "_PINNED", [])
    monkeypatch.setattr(devices, "_SHARERS", [1])


class PooledHead(nn.Module):
    """conv -> adaptive average pool to 2x2 (as the ``cnn`` space's candidates end) -> linear."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d((2, 2))
        self.fc = nn.Linear(8 * 4, 10)

    def forward(self, x):
        return self.fc(self.pool(torch.relu(self.conv(x))).flatten(1))


# ---- 1. DataLoader workers inside a pool worker ---------------------------------------------------
def test_a_pool_worker_can_start_dataloader_workers():
    trainer = PartialTraining(IMAGES, epochs=1, device="cpu", loader="dataloader", num_workers=1,
                              progress_bar=False)
    with ProcessPoolEvaluator(trainer, num_workers=1) as pool:
        model = probe("loader-in-pool")
        pool.send(model)
        values = pool.fetch_all()
    assert values[0] is not None and 0.5 < values[0] <= 1, pool.last_errors  # was: daemonic processes...
    assert model.metadata["loader"] == "dataloader"


# ---- 11. a measurement names its device, also in a GPU-pinned worker -------------------------------
def test_a_cpu_measurement_in_a_gpu_pinned_worker_stays_on_the_cpu(unpinned):
    model = ArchaiModel(PooledHead(), "m")
    devices.pin_process("cuda:0", environment={})  # as a pool worker placed on a GPU is
    assert devices.placed("cpu") == "cuda:0"  # training follows the worker ...
    assert devices.measured_on("device", "cpu") == "cpu"  # ... a CPU measurement does not
    assert TorchLatency(device="cpu", num_samples=2).evaluate(model) > 0  # would need a GPU otherwise
    assert TorchPeakCpuMemory(input_shape=[2, 1, 8, 8], device="cpu").evaluate(model) > 0
    pytest.importorskip("onnxruntime")
    assert AvgOnnxLatency(input_shape=[1, 1, 8, 8], num_trials=2, device="cpu").evaluate(model) > 0


def test_a_gpu_measurement_in_a_cpu_pinned_worker_is_refused_naming_the_key(unpinned):
    devices.pin_process("cpu", environment={})
    with pytest.raises(ValueError, match=r"^device is 'cuda:0' but this worker is pinned to the CPU"):
        devices.measured_on("device", "cuda:0")


# ---- 12. a CUDA error that poisons the worker's process --------------------------------------------
def test_a_worker_poisoned_by_a_cuda_error_exits_and_is_replaced():
    with ProcessPoolEvaluator(EvaluationFunction("nas_evaluators.testing.device_models:fails_like_an_illegal_address"),
                              num_workers=1) as pool:
        models = [ArchaiModel(None, "poison"), ArchaiModel(None, "next"), ArchaiModel(None, "after")]
        for m in models:
            pool.send(m)
        values = pool.fetch_all()
    assert values == [None, 1.0, 1.0]
    assert "illegal memory access" in pool.last_errors["poison"] and "the worker exits" in pool.last_errors["poison"]
    assert models[0].metadata.get("pid") != models[1].metadata["pid"] == models[2].metadata["pid"]


def test_sticky_cuda_errors_are_told_from_others():
    assert devices.is_sticky_cuda_error(RuntimeError("CUDA error: device-side assert triggered"))
    assert devices.is_sticky_cuda_error("RuntimeError: CUDA error: unspecified launch failure")
    assert not devices.is_sticky_cuda_error(torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate"))
    assert not devices.is_sticky_cuda_error(ValueError("bad shape"))


# ---- 14. workers sharing one device share its memory -----------------------------------------------
def test_workers_of_one_device_divide_the_auto_loaders_memory_share():
    with ProcessPoolEvaluator(EvaluationFunction("nas_evaluators.testing.device_models:sharers_seen"), devices=["cpu"],
                              workers_per_device=2) as pool:
        models = [ArchaiModel(None, f"m{i}") for i in range(2)]
        for m in models:
            pool.send(m)
        assert pool.fetch_all() == [1.0] * 2
    assert {m.metadata["sharers"] for m in models} == {2}
    size = split_bytes(IMAGES)
    assert choose_loader("auto", IMAGES, "cpu", memory=size * 4, sharers=1) == "tensors"
    assert choose_loader("auto", IMAGES, "cpu", memory=size * 4, sharers=4) == "dataloader"


# ---- 6. a Ray task given no GPU ----------------------------------------------------------------
def test_a_ray_task_without_a_gpu_runs_on_the_cpu_whatever_the_driver_resolved(unpinned):
    assert place_task([]) == "cpu"
    assert devices.placed("cuda:0") == "cpu"  # ``auto`` resolved on a GPU driver: not a GPU Ray did not reserve
    assert devices.check_device("device", "cuda") == "cpu"  # a component built inside the task
    assert place_task([3]) == "cuda:0"  # Ray's GPU is the task's only visible one
    assert devices.placed("cpu") == "cuda:0"


# ---- 3/4. no host synchronisation inside the training loop -----------------------------------------
def test_the_training_loop_never_waits_for_the_device(monkeypatch):
    """Every way a tensor's value reaches the host, counted while the epochs train (with
    augmentation) and while the model is scored."""
    reads = {"train": 0, "score": 0}
    phase = ["train"]
    for name in ("item", "tolist", "__bool__", "__int__", "__float__", "cpu", "numpy"):
        original = getattr(torch.Tensor, name)

        def counted(self, *args, _original=original, **kwargs):
            reads[phase[0]] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counted)
    draws = []
    monkeypatch.setattr(Augment, "draws", lambda self, n, seed, device="cpu", _d=Augment.draws:
                        draws.append(n) or _d(self, n, seed, device))
    # SGD: CPU Adam reads its step counter, a CPU tensor, every step (on a GPU the fused Adam
    # keeps it on the device); nothing else of the loop may read a tensor's value
    trainer = PartialTraining(IMAGES, epochs=2, device="cpu", random_crop=1, horizontal_flip=True, optimizer="sgd",
                              lr=0.05, record_history=False, progress_bar=False, loader="tensors")
    original_score = PartialTraining.score_batches

    def score(*args, **kwargs):
        phase[0] = "score"
        return original_score(*args, **kwargs)

    monkeypatch.setattr(PartialTraining, "score_batches", staticmethod(score))
    assert 0 < trainer.evaluate(probe()) <= 1
    assert reads["train"] == 0  # nothing read back in 2 epochs
    assert reads["score"] <= 2  # the accuracy and the loss, once for the whole split
    assert draws == [len(IMAGES.get_train()[1])] * 2  # the augmentation drawn once per epoch


# ---- the split stays on the device, compact ------------------------------------------------------
def test_the_split_is_moved_once_per_process_and_kept_as_uint8_codes_when_it_can(unpinned):
    release_loaders()
    first = resident_split(IMAGES, "train", "cpu")
    assert resident_split(IMAGES, "train", "cpu") is first  # the next candidate reuses it
    X = IMAGES.get_train()[0]
    palette = Palette.of(X)  # 17 grey levels per pixel, standardised
    assert palette is not None and palette.codes.dtype == torch.uint8
    assert torch.equal(palette.decode(palette.codes[5:9]), X[5:9])  # exactly the float values
    compact = resident_split(Glyphs(seed=2), "train", "cpu", compact=True)
    assert compact.X.dtype == torch.uint8 and compact.X.element_size() * 4 == X.element_size()
    assert Palette.of(torch.randn(4, 3, 32, 32)) is None  # more than 256 values per channel
    release_loaders()


# ---- 2. deterministic training of models ending in adaptive average pooling ------------------------
@pytest.mark.parametrize("size,out", [((8, 8), (2, 2)), ((7, 5), (3, 2)), ((6, 6), (1, 1)), ((5, 7), (None, 3))])
def test_the_matrix_adaptive_pool_equals_torchs_forward_and_backward(size, out):
    x = torch.randn(3, 4, *size, dtype=torch.float64, requires_grad=True)
    ours = MatrixAdaptiveAvgPool2d(out)(x)
    theirs = nn.AdaptiveAvgPool2d(out)(x)
    assert torch.allclose(ours, theirs)
    g = torch.randn_like(theirs)
    (a,) = torch.autograd.grad(ours, x, g)
    (b,) = torch.autograd.grad(theirs, x, g)
    assert torch.allclose(a, b)
    net = PooledHead()
    assert make_pooling_deterministic(net) == 1 and isinstance(net.pool, MatrixAdaptiveAvgPool2d)


@ON_EVERY_DEVICE
def test_deterministic_training_of_an_adaptive_pooling_model_repeats(device):
    def run():
        torch.manual_seed(0)
        model = ArchaiModel(PooledHead(), "pooled")
        return PartialTraining(IMAGES, epochs=1, lr=3e-2, device=device, deterministic=True,
                               progress_bar=False).evaluate(model)

    first = run()
    assert 0.3 < first <= 1 and run() == first  # CUDA: no "adaptive_avg_pool2d_backward_cuda" error


# ---- 9, 10. measurements on a device ---------------------------------------------------------------
@ON_EVERY_DEVICE
def test_peak_memory_does_not_depend_on_what_was_measured_first(device):
    model = ArchaiModel(PooledHead(), "pooled")
    measure = TorchPeakCpuMemory(input_shape=[16, 1, 8, 8], device=device)
    first = measure.evaluate(model)  # the first measurement of the process on this device
    assert first > 0 and measure.evaluate(model) == first


class Sleepy(nn.Module):
    """A forward pass that takes a known time: 20 ms."""

    def forward(self, x):
        time.sleep(0.02)
        return x.flatten(1)


def test_timed_runs_a_group_of_calls_and_gives_the_time_of_one():
    calls = []
    seconds = devices.timed("cpu", lambda: calls.append(time.sleep(0.02)), runs=10)
    assert len(calls) == 10
    assert 0.0195 < seconds < 0.1  # one call's 20 ms (plus a busy machine's delays), not the ten's 200 ms


@ON_EVERY_DEVICE
def test_latency_of_a_model_is_the_time_of_one_forward(device):
    model = ArchaiModel(Sleepy(), "sleepy")
    latency = TorchLatency(device=device, input_shape=[1, 1, 8, 8], num_warmups=0, num_samples=3,
                           runs_per_sample=5).evaluate(model)
    assert 0.0195 < latency < 0.09  # one forward's 20 ms, not the five runs' 100 ms of a sample
    if device == "cuda":
        assert TorchLatency(device=device).runs_per_sample is None  # 10 runs per event pair by default
