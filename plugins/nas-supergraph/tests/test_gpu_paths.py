"""The supergraph's GPU paths a reading of the code found wrong, held on the CPU where it can show
them (host reads in a DARTS epoch, a pool worker's placement, the fp32 Hessian term, out of
memory) and on CUDA where torch sees a GPU (skipped otherwise): GDAS resumed equals GDAS straight."""
import sys

import pytest
import torch
from torch import nn

from nas_kernel.toolbox import devices
from nas_supergraph.arch_trainer import ArchTrainer
from nas_supergraph.checkpoint import Checkpoint
from nas_supergraph.data import split
from nas_supergraph.evaluater import Evaluater
from nas_supergraph.model import Model
from nas_supergraph.model_desc_builder import ModelDescBuilder

HAS_CUDA = torch.cuda.is_available()
ON_EVERY_DEVICE = pytest.mark.parametrize("device", [
    "cpu", pytest.param("cuda", marks=pytest.mark.skipif(not HAS_CUDA, reason="torch sees no GPU"))])


def tiny_model(seed=0, n_nodes=2):
    torch.manual_seed(seed)
    b = ModelDescBuilder(in_channels=1, num_classes=4, init_channels=4, n_cells=1, n_nodes=n_nodes)
    return Model(b.build_search(), droppath=False, affine=False)


def test_a_darts_epoch_reads_the_device_once(monkeypatch, tiny_data):
    """Every way a tensor's value reaches the host, counted over one DARTS epoch (reads by torch's
    own optimizers of their CPU step counters aside: on a GPU the fused ones keep them there)."""
    model = tiny_model()
    trainer = ArchTrainer({"epochs": 1, "batch_size": 16, "device": "cpu"}, model, None)
    data = tiny_data()
    train, val = data.get_train(), data.get_val()
    reads = []
    for name in ("item", "tolist", "__bool__", "__int__", "__float__", "cpu", "numpy"):
        original = getattr(torch.Tensor, name)

        def counted(self, *args, _original=original, _name=name, **kwargs):
            caller = sys._getframe(1).f_code.co_filename
            if "torch/optim" not in caller.replace("\\", "/"):
                reads.append((_name, caller.rsplit("/", 1)[-1], sys._getframe(1).f_lineno))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counted)
    info = trainer.train_epoch(0, train, val, 16, seed=1)
    assert info["steps"] == 2  # 32 training pairs of 16
    assert len(reads) == 1, reads  # the epoch's two mean losses, together, at its end


def test_a_pool_worker_places_the_supergraph_trainers_on_its_own_device(monkeypatch, tiny_data):
    monkeypatch.setattr(devices, "_PINNED", [])
    devices.pin_process("cpu", environment={})  # a worker the pool placed on the CPU
    trainer = ArchTrainer({"epochs": 1, "device": "cuda:1"}, tiny_model(), None)  # no error: its own device
    assert trainer.device == "cpu"
    torch.manual_seed(0)
    plain = nn.Sequential(nn.Flatten(), nn.Linear(64, 4))
    metrics = Evaluater(tiny_data(), seed=1).train_model({"epochs": 1, "batch_size": 16, "device": "cuda"}, plain)
    assert 0 <= metrics["val_acc"] <= 1 and next(plain.parameters()).device.type == "cpu"


@ON_EVERY_DEVICE
def test_the_second_order_hessian_term_is_computed_in_fp32(device, tiny_data):
    """Under bf16 the alphas' gradients at w +/- eps*d differ by less than bf16 resolves: the
    finite difference must be taken in fp32, as at fp32."""
    data = tiny_data()
    xt, yt = (t[:16].to(device) for t in data.get_train())
    model = tiny_model()
    grads = {}
    for precision in ("fp32", "bf16"):
        trainer = ArchTrainer({"second_order": True, "epochs": 1, "device": device, "precision": precision},
                              model, None)
        trainer.start_epoch(0)
        model.train()
        base = [w.detach().clone() for w in trainer.weights]
        direction = [torch.ones_like(w) for w in trainer.weights]
        torch.manual_seed(1)
        grads[precision] = torch.cat([g.reshape(-1) for g in trainer._alpha_grads_at(direction, 1e-3, xt, yt, base)])
        trainer._restore(trainer.weights, base)
    assert torch.allclose(grads["bf16"], grads["fp32"], rtol=1e-5, atol=1e-7)


@ON_EVERY_DEVICE
def test_a_resumed_gdas_search_equals_a_straight_one(device, tmp_path, tiny_data):
    """GDAS draws its Gumbel samples on the device's generator: a GPU's state must be saved too."""
    loaders = split(tiny_data(), 0.5, 1)
    conf = {"algorithm": "gdas", "epochs": 2, "batch_size": 16, "device": device}

    def alphas(trainer):
        return torch.cat([a.detach().reshape(-1).cpu() for a in trainer.alphas])

    torch.manual_seed(5)
    straight = ArchTrainer(conf, tiny_model(), None)
    straight.fit(loaders)

    class Killed(Exception):
        pass

    def kill(epoch, info):
        raise Killed()

    torch.manual_seed(5)
    first = ArchTrainer(conf, tiny_model(), Checkpoint(str(tmp_path / "c.pt")))
    first.epoch_callbacks.append(kill)
    with pytest.raises(Killed):
        first.fit(loaders)
    torch.manual_seed(99)  # whatever the generators hold now, the checkpoint's states come back
    resumed = ArchTrainer(conf, tiny_model(), Checkpoint(str(tmp_path / "c.pt")))
    resumed.fit(loaders)
    assert torch.allclose(alphas(resumed), alphas(straight), rtol=1e-4, atol=1e-6)


class OutOfMemoryOnSecondStep(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 4)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        if self.training and self.calls == 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (raised by the test)")
        return self.fc(x.flatten(1))


@ON_EVERY_DEVICE
def test_out_of_memory_in_final_training_is_a_failed_evaluation_with_the_reason(device, tiny_data):
    evaluater = Evaluater(tiny_data(), seed=1)
    with pytest.raises(devices.OutOfMemory, match=r"^training of OutOfMemoryOnSecondStep \(batch_size 16, fp32\) "
                                                  r"ran out of memory on " + devices.resolve_device(device)):
        evaluater.train_model({"epochs": 1, "batch_size": 16, "device": device}, OutOfMemoryOnSecondStep())
