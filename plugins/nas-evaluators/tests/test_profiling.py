"""Parameters, FLOPs, MACs, latency, peak memory and ONNX latency on tiny nets with known costs."""
import pytest
import torch
from torch import nn

from nas_evaluators.testing.models import TinyCNN, TwoLayer, cnn_model
from nas_kernel.api import ArchaiModel
from nas_evaluators import (AvgOnnxLatency, TorchFlops, TorchLatency, TorchMacs, TorchNumParameters,
                            TorchPeakCpuMemory)

# conv: 4 outputs x 8x8 positions x (1 channel x 3x3) MACs; fc: 256 x 10 MACs (bias adds are free)
CONV_MACS, FC_MACS = 4 * 64 * 9, 256 * 10


def two_layer():
    return ArchaiModel(TwoLayer(), "two-layer")


def test_num_params_by_hand():
    m = two_layer()
    conv, fc = 4 * 9 + 4, 256 * 10 + 10
    assert TorchNumParameters().evaluate(m) == conv + fc
    assert TorchNumParameters(exclude_cls=[nn.Linear]).evaluate(m) == conv
    assert TorchNumParameters(exclude_cls=["torch.nn:Conv2d", nn.Linear]).evaluate(m) == 0
    m.arch.fc.weight.requires_grad_(False)
    assert TorchNumParameters().evaluate(m) == conv + 10
    assert TorchNumParameters(trainable_only=False).evaluate(m) == conv + fc


def test_num_params_counts_shared_and_nested_once():
    inner = nn.Linear(3, 3)
    net = nn.Sequential(inner, nn.Sequential(inner, nn.Linear(3, 2)))
    assert TorchNumParameters().evaluate(ArchaiModel(net, "shared")) == 12 + 8
    assert TorchNumParameters(exclude_cls=[nn.Sequential]).evaluate(ArchaiModel(net, "shared")) == 0


def test_flops_and_macs_by_hand():
    m = two_layer()
    assert TorchMacs().evaluate(m) == CONV_MACS + FC_MACS
    assert TorchFlops().evaluate(m) == 2 * (CONV_MACS + FC_MACS)
    assert TorchFlops(input_shape=[3, 1, 8, 8]).evaluate(m) == 3 * 2 * (CONV_MACS + FC_MACS)
    assert TorchMacs(ignore_layers=["fc"]).evaluate(m) == CONV_MACS
    assert TorchMacs(forward_args=torch.zeros(2, 1, 8, 8)).evaluate(m) == 2 * (CONV_MACS + FC_MACS)
    with pytest.raises(ValueError, match="no submodule named nope"):
        TorchMacs(ignore_layers=["nope"]).evaluate(m)
    with pytest.raises(ValueError, match="input_shape"):
        TorchFlops(input_shape=[1, 0, 8])


def test_latency_positive_stable_and_larger_for_larger_net():
    small, large = cnn_model(4), cnn_model(64)
    lat = TorchLatency(input_shape=[16, 1, 8, 8], num_samples=15)
    a, b = lat.evaluate(small), lat.evaluate(small)
    assert a > 0 and b > 0
    assert max(a, b) / min(a, b) < 3  # stable within a loose tolerance on a shared machine
    assert lat.evaluate(large) > 1.5 * max(a, b)
    assert torch.get_num_threads() == torch.get_num_threads()  # threads restored (no exception)


def test_latency_batch_size_and_threads_restored():
    before = torch.get_num_threads()
    m = cnn_model(16)
    one = TorchLatency(num_samples=5, batch_size=1).evaluate(m)
    many = TorchLatency(num_samples=5, batch_size=128).evaluate(m)
    assert many > one and torch.get_num_threads() == before
    with pytest.raises(ValueError, match="num_samples"):
        TorchLatency(num_samples=0)


def test_peak_memory_grows_with_batch():
    m = ArchaiModel(TinyCNN(8), "cnn")
    small = TorchPeakCpuMemory(input_shape=[1, 1, 8, 8]).evaluate(m)
    big = TorchPeakCpuMemory(input_shape=[64, 1, 8, 8]).evaluate(m)
    # the first conv's output alone (8 channels x 64 pixels x 4 bytes per sample) is alive at once
    assert small >= 8 * 64 * 4 and big >= 64 * 8 * 64 * 4 and big > 10 * small


def test_onnx_latency_positive():
    pytest.importorskip("onnxruntime")
    lat = AvgOnnxLatency(input_shape=[1, 1, 8, 8], num_trials=5)
    assert lat.evaluate(cnn_model(8)) > 0
    with pytest.raises(ValueError, match="device"):
        AvgOnnxLatency(device="cuda")
