"""The shared device and precision rule (nas_kernel.toolbox.devices)."""
import pytest
import torch

from nas_kernel.toolbox import devices

HAS_CUDA = torch.cuda.is_available()


def test_auto_is_the_cpu_without_a_gpu_and_the_first_gpu_with_one():
    assert devices.resolve_device("auto") == ("cuda:0" if HAS_CUDA else "cpu")
    assert devices.resolve_device("cpu") == "cpu"


@pytest.mark.parametrize("bad", ["gpu", "cpu:0", "cuda:x", "", None, 0, "CUDA"])
def test_a_misspelt_device_is_refused_naming_the_parameter(bad):
    with pytest.raises(ValueError, match=r"^train_device must be 'auto', 'cpu', 'cuda' or 'cuda:N'"):
        devices.check_device("train_device", bad)


@pytest.mark.skipif(HAS_CUDA, reason="needs a machine without a GPU")
@pytest.mark.parametrize("asked", ["cuda", "cuda:0", "cuda:3"])
def test_cuda_without_a_gpu_is_an_error_never_a_silent_cpu_run(asked):
    with pytest.raises(ValueError, match="no CUDA device"):
        devices.check_device("device", asked)


@pytest.mark.skipif(not HAS_CUDA, reason="needs a GPU")
def test_a_gpu_index_past_the_visible_ones_is_refused():
    with pytest.raises(ValueError, match="CUDA device"):
        devices.check_device("device", f"cuda:{torch.cuda.device_count()}")


def test_visible_devices_lists_every_gpu_or_the_cpu():
    expected = [f"cuda:{i}" for i in range(torch.cuda.device_count())] if HAS_CUDA else ["cpu"]
    assert devices.visible_devices() == expected


def test_precision_is_one_of_three():
    assert [devices.check_precision("precision", p) for p in devices.PRECISIONS] == ["fp32", "bf16", "fp16"]
    with pytest.raises(ValueError, match="^precision must be one of 'fp32', 'bf16', 'fp16', got 'half'"):
        devices.check_precision("precision", "half")


@pytest.mark.parametrize("precision,dtype", [("fp32", torch.float32), ("bf16", torch.bfloat16)])
def test_autocast_runs_matmuls_at_the_asked_precision_on_the_cpu(precision, dtype):
    a = torch.ones(4, 4)
    with devices.autocast("cpu", precision):
        assert (a @ a).dtype == dtype


def test_the_gradient_scaler_is_on_for_fp16_only():
    assert devices.grad_scaler("cpu", "fp16").is_enabled()
    assert not devices.grad_scaler("cpu", "bf16").is_enabled()
    assert not devices.grad_scaler("cpu", "fp32").is_enabled()


def test_out_of_memory_errors_are_recognised():
    assert devices.is_out_of_memory(torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB"))
    assert devices.is_out_of_memory(MemoryError())
    assert devices.is_out_of_memory(RuntimeError("DefaultCPUAllocator: not enough memory: you tried to allocate; out of memory"))
    assert not devices.is_out_of_memory(RuntimeError("shape mismatch"))
    devices.release_memory("cpu")  # must not need a GPU
