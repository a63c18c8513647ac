"""latency, peak_memory, onnx_latency and the zero-cost proxies on a device: the CPU always, CUDA
where torch sees a GPU (skipped otherwise)."""
import pytest
import torch

from nas_evaluators.testing.models import TinyCNN, cnn_model
from nas_kernel.testing.reference import Glyphs
from nas_kernel.api import ArchaiModel
from nas_kernel.components import build_component
from nas_evaluators import AvgOnnxLatency, TorchLatency, TorchPeakCpuMemory, TorchPeakCudaMemory
from nas_evaluators.latency import TorchLatency as LatencyClass
from nas_evaluators.onnx_latency import onnx_device, session_providers
from nas_evaluators.zero_cost import GradNorm, Jacov, Naswot, Snip, Synflow

HAS_CUDA = torch.cuda.is_available()
ON_EVERY_DEVICE = pytest.mark.parametrize("device", [
    "cpu", pytest.param("cuda", marks=pytest.mark.skipif(not HAS_CUDA, reason="torch sees no GPU"))])


def on_cpu(model):
    return all(p.device.type == "cpu" for p in model.arch.parameters())


def test_latency_is_registered_under_its_new_and_its_old_name():
    for name in ("latency", "cpu_latency"):
        ev = build_component("evaluators", name, {"num_samples": 3})
        assert isinstance(ev, LatencyClass) and ev.device == "cpu"  # both measure the CPU unless told
        assert ev.evaluate(cnn_model(4)) > 0


@ON_EVERY_DEVICE
def test_latency_on_a_device_leaves_the_candidate_where_it_is(device):
    model = cnn_model(8)
    # on a GPU a batch of 512 8x8 images is as quick as one (both are launch-bound): the large
    # batch there is big enough (268 MB of activations) for the kernels to take clearly longer
    large_batch = 512 if device == "cpu" else 65_536
    small = TorchLatency(device=device, num_samples=5, batch_size=1).evaluate(model)
    large = TorchLatency(device=device, num_samples=5, batch_size=large_batch).evaluate(model)
    assert 0 < small < large
    assert on_cpu(model) and model.arch.training  # moved copy only; train mode restored


@ON_EVERY_DEVICE
def test_peak_memory_on_a_device_grows_with_the_batch(device):
    model = ArchaiModel(TinyCNN(8), "cnn")
    small = TorchPeakCpuMemory(input_shape=[1, 1, 8, 8], device=device).evaluate(model)
    big = TorchPeakCpuMemory(input_shape=[64, 1, 8, 8], device=device).evaluate(model)
    # the first conv's output alone (8 channels x 64 pixels x 4 bytes per sample) is alive at once
    assert small >= 8 * 64 * 4 and big >= 64 * 8 * 64 * 4 and big > 10 * small
    assert on_cpu(model)


@pytest.mark.skipif(HAS_CUDA, reason="needs a machine without a GPU")
def test_gpu_measurements_without_a_gpu_are_refused_naming_the_key():
    with pytest.raises(ValueError, match="^device is 'cuda' but torch sees no CUDA device"):
        TorchPeakCudaMemory()
    with pytest.raises(ValueError, match="^use_cuda is 'cuda' but torch sees no CUDA device"):
        TorchLatency(use_cuda=True)
    with pytest.raises(ValueError, match="^device is 'cuda:0' but torch sees no CUDA device"):
        GradNorm(device="cuda:0")


def test_onnx_device_follows_onnxruntimes_providers():
    cpu_only, with_cuda = ["CPUExecutionProvider"], ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert onnx_device("device", "cpu", cpu_only) == "cpu"
    assert onnx_device("device", "cuda:1", with_cuda) == "cuda:1"
    assert onnx_device("device", "gpu", with_cuda) == "cuda:0"  # Archai's spelling
    with pytest.raises(ValueError, match=r"^device is 'cuda:1' but this onnxruntime has no CUDAExecutionProvider "
                                         r"\(it offers CPUExecutionProvider\); install onnxruntime-gpu"):
        onnx_device("device", "cuda:1", cpu_only)
    with pytest.raises(ValueError, match="^device must be"):
        onnx_device("device", "tpu", with_cuda)
    assert onnx_device("device", "auto", cpu_only) == "cpu"
    assert session_providers("cuda:1") == [("CUDAExecutionProvider", {"device_id": 1}), "CPUExecutionProvider"]
    assert session_providers("cpu") == ["CPUExecutionProvider"]


def _ort_has_cuda():
    try:
        import onnxruntime
    except ImportError:
        return False
    return "CUDAExecutionProvider" in onnxruntime.get_available_providers()


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not (HAS_CUDA and _ort_has_cuda()), reason="needs a GPU and onnxruntime-gpu"))])
def test_onnx_latency_on_a_device(device):
    pytest.importorskip("onnxruntime")
    assert AvgOnnxLatency(input_shape=[1, 1, 8, 8], num_trials=3, device=device).evaluate(cnn_model(8)) > 0


@pytest.fixture
def full_fp32():
    """fp32 convolutions and matrix products on a GPU: cuDNN runs fp32 convolutions in TF32 (10
    bits of mantissa) by default, which would compare the GPU's rounding with the CPU's."""
    before = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = before


@ON_EVERY_DEVICE
@pytest.mark.parametrize("proxy", [Synflow, Naswot, GradNorm, Snip, Jacov])
def test_zero_cost_proxies_score_the_same_on_a_device_as_on_the_cpu(device, proxy, full_fp32):
    data = Glyphs(seed=1)
    model = cnn_model(8, archid="zc")
    on_device = proxy(data, batch_size=32, device=device).evaluate(model)
    reference = proxy(data, batch_size=32, device="cpu").evaluate(model)
    # a GPU adds in another order than the CPU even in fp32
    assert on_device == pytest.approx(reference, rel=1e-3 if device == "cpu" else 1e-2, abs=1e-6)
    assert on_cpu(model)
