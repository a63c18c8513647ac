"""partial_training on a device, at a precision, in channels-last format, deterministic, and a
candidate running out of memory. Every test runs on the CPU and again on CUDA where torch sees a
GPU (skipped otherwise), so a GPU machine runs this file as is."""
import gc

import pytest
import torch

from nas_evaluators.testing.device_models import HELD, SEEN, OutOfMemoryAfterAllocating, probe
from nas_kernel.testing.reference import Glyphs
from nas_kernel.toolbox import devices
from nas_kernel.api import ArchaiModel
from nas_evaluators import PartialTraining

HAS_CUDA = torch.cuda.is_available()
ON_EVERY_DEVICE = pytest.mark.parametrize("device", [
    "cpu", pytest.param("cuda", marks=pytest.mark.skipif(not HAS_CUDA, reason="torch sees no GPU"))])
IMAGES = Glyphs(seed=1)
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def trainer(device, **kw):
    kw.setdefault("progress_bar", False)
    kw.setdefault("epochs", 1)
    kw.setdefault("lr", 1e-2)
    return PartialTraining(IMAGES, device=device, **kw)


@ON_EVERY_DEVICE
@pytest.mark.parametrize("precision", ["fp32", "bf16", "fp16"])
def test_precision_is_the_dtype_inside_the_step_and_scores_stay_valid(device, precision):
    SEEN.clear()
    model = probe()
    acc = trainer(device, precision=precision).evaluate(model)
    assert {s["dtype"] for s in SEEN} == {DTYPES[precision]}
    assert {s["device"] for s in SEEN} == {devices.device_type(device)}
    assert model.metadata["device"] == devices.resolve_device(device)
    assert 0.8 < acc <= 1.0, acc  # 10 classes: chance is 0.1
    assert all(p.dtype == torch.float32 for p in model.arch.parameters())  # the candidate is left alone


@ON_EVERY_DEVICE
def test_channels_last_is_the_memory_format_inside_the_step(device):
    SEEN.clear()
    plain = trainer(device).evaluate(probe())
    assert not any(s["weight_channels_last"] or s["activation_channels_last"] for s in SEEN)
    SEEN.clear()
    nhwc = trainer(device, channels_last=True).evaluate(probe())
    assert all(s["weight_channels_last"] and s["activation_channels_last"] for s in SEEN)
    assert abs(nhwc - plain) < 0.05  # the same arithmetic in another layout


@ON_EVERY_DEVICE
@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_resume_from_a_checkpoint_equals_training_straight_through(device, precision, tmp_path):
    # deterministic on CUDA: cuDNN's default algorithms add with atomics, so two runs of the same
    # training differ in the last digits there and exact equality needs deterministic kernels
    settings = dict(precision=precision, channels_last=True, seed=4, deterministic=device == "cuda")
    resumed_ev = trainer(device, checkpoint_dir=str(tmp_path), **settings)
    resumed_ev.evaluate(probe("p"), budget=1)
    state = torch.load(next(tmp_path.iterdir()), weights_only=True)
    assert state["settings"]["precision"] == precision and ("scaler" in state) == (precision == "fp16")
    model = probe("p")
    resumed = resumed_ev.evaluate(model, budget=2)
    assert model.metadata["epochs_trained"] == 2
    assert resumed == trainer(device, **settings).evaluate(probe("p"), budget=2)
    # a checkpoint made at another precision is not continued
    other = probe("p")
    trainer(device, checkpoint_dir=str(tmp_path), **{**settings, "precision": "fp32"}).evaluate(other, budget=2)
    assert other.metadata["epochs_trained"] == 2


@ON_EVERY_DEVICE
def test_same_seed_same_device_same_score_and_deterministic_mode(device):
    before = torch.are_deterministic_algorithms_enabled()
    first = trainer(device, seed=3).evaluate(probe())
    SEEN.clear()
    strict = trainer(device, seed=3, deterministic=True)
    assert strict.evaluate(probe()) == strict.evaluate(probe())
    assert all(s["deterministic"] for s in SEEN)
    assert torch.are_deterministic_algorithms_enabled() == before  # restored afterwards
    if device == "cpu":  # the CPU path is deterministic with or without the flag
        assert first == trainer(device, seed=3, deterministic=True).evaluate(probe())


@pytest.mark.skipif(HAS_CUDA, reason="needs a machine without a GPU")
def test_auto_trains_on_the_cpu_here_and_cuda_is_refused_naming_the_key():
    ev = PartialTraining(IMAGES, epochs=1, progress_bar=False)
    assert ev.device == "cpu"
    model = probe()
    ev.evaluate(model)
    assert model.metadata["device"] == "cpu"
    for asked in ("cuda", "cuda:1"):
        with pytest.raises(ValueError, match=r"^device is '.*' but torch sees no CUDA device"):
            PartialTraining(IMAGES, device=asked)
    with pytest.raises(ValueError, match="^precision must be one of"):
        PartialTraining(IMAGES, precision="half")


@ON_EVERY_DEVICE
def test_out_of_memory_fails_the_candidate_releases_its_memory_and_the_next_one_trains(device):
    HELD.clear()
    ev = trainer(device)
    resolved = devices.resolve_device(device)
    before = torch.cuda.memory_allocated(resolved) if resolved != "cpu" else 0
    with pytest.raises(devices.OutOfMemory, match=r"partial_training of too-big .* ran out of memory on "
                                                  + resolved + r": CUDA out of memory") as failure:
        ev.evaluate(ArchaiModel(OutOfMemoryAfterAllocating(), "too-big"))
    assert failure.value.__context__ is None  # the failed frames are not kept alive by the error
    del failure
    gc.collect()
    assert HELD and HELD[0]() is None  # what the failed step allocated has been freed
    if resolved != "cpu":
        assert torch.cuda.memory_allocated(resolved) == before
    assert 0.5 < ev.evaluate(probe()) <= 1.0  # the next candidate trains normally
