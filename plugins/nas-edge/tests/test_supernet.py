"""The supernet in Python: a sub-network cut from the shared weights computes what the supernet
computes in that configuration, the largest one is the supernet, batch-norm recalibration touches
only the statistics, channel re-ordering keeps the function, training resumed from a checkpoint
ends where a straight run ends, and the evaluator scores candidates, refuses those the supernet
does not hold and fine-tunes the chosen one."""
import copy
import json
import pickle
import shutil

import pytest
import torch

from .edge_support import TINY_SPACE, has_cuda, write_experiment
from .stand_ins import manager as stand_ins
from nas_kernel.testing.reference import Glyphs
from nas_edge.mobilenet_arch import MobileNetArch
from nas_edge.mobilenet_network import InvertedResidual
from nas_edge.mobilenet_space import MobileNetSearchSpace
from nas_edge.supernet import files
from nas_edge.supernet.bn_calibration import batch_norms, recalibrate_bn
from nas_edge.supernet.channel_order import sort_channels
from nas_edge.supernet.config import SupernetConfig
from nas_edge.supernet.elastic import ElasticMobileNet
from nas_edge.supernet.evaluator import SupernetEvaluator
from nas_edge.supernet.sampling import allowed, phase_of, sandwich
from nas_edge.supernet.settings import SupernetSettings
from nas_edge.supernet.trainer import build_supernet, train_supernet

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not has_cuda(), reason="needs a CUDA GPU"))]
TRAIN = {"epochs": 2, "batch_size": 32, "checkpoint_every": 2, "seed": 3, "device": "cpu"}


def space(**changes):
    return MobileNetSearchSpace(**{**TINY_SPACE, **changes}, seed=4)


def data():
    return Glyphs(seed=2, train=96, val=48, test=0)


def randomised(supernet):
    """Kernel transforms away from the identity, batch-norm statistics away from 0/1: a cut that
    skipped either would show."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in supernet.kernel_transforms.values():
            p.add_(0.1 * torch.randn(p.shape, generator=gen))
        for bn in batch_norms(supernet.net):
            bn.running_mean.copy_(torch.randn(bn.running_mean.shape, generator=gen))
            bn.running_var.copy_(torch.rand(bn.running_var.shape, generator=gen) + 0.5)
    return supernet


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("supernet")
    s, d = space(), data()
    train_supernet(s, d, SupernetSettings.checked(**TRAIN), str(folder), echo=lambda *a: None)
    return folder, s, d


@pytest.mark.parametrize("device", DEVICES)
def test_extracted_subnetwork_gives_the_supernets_outputs_in_that_configuration(device):
    s = space()
    supernet = randomised(ElasticMobileNet(SupernetConfig.of_space(s))).to(device).eval()
    x = torch.randn(5, 1, 8, 8, device=device)
    archs = [s.arch_of(s.random_sample()) for _ in range(6)] + [SupernetConfig.of_space(s).smallest()]
    assert any(k == 3 for a in archs for stage in a.kernels for k in stage)  # the transform is exercised
    for arch in archs:
        sub = supernet.extract(arch).to(device).eval()
        assert torch.allclose(sub(x), supernet(x, arch), atol=1e-5), arch.archid()
    # in training mode too, and the shared statistics move where the sub-network's would
    arch = archs[0]
    supernet.train()
    sub = supernet.extract(arch).to(device).train()
    assert torch.allclose(sub(x), supernet(x, arch), atol=1e-5)


def test_largest_subnetwork_is_the_supernet():
    s = space()
    supernet = randomised(ElasticMobileNet(SupernetConfig.of_space(s))).eval()
    largest = supernet.extract(supernet.config.largest()).eval()
    assert largest.state_dict().keys() == supernet.net.state_dict().keys()
    for name, value in largest.state_dict().items():
        assert torch.equal(value, supernet.net.state_dict()[name]), name
    x = torch.randn(4, 1, 8, 8)
    assert torch.equal(largest(x), supernet(x))


def test_bn_recalibration_changes_only_the_statistics():
    s = space()
    supernet = randomised(ElasticMobileNet(SupernetConfig.of_space(s)))
    net = supernet.extract(s.arch_of(s.random_sample())).eval()
    before = copy.deepcopy(net.state_dict())
    batches = [torch.randn(16, 1, 8, 8) for _ in range(3)]
    assert recalibrate_bn(net, batches) == 3
    after = net.state_dict()
    assert not net.training  # the mode comes back
    stats = [k for k in after if k.endswith(("running_mean", "running_var", "num_batches_tracked"))]
    assert stats and all(not torch.equal(before[k], after[k]) for k in stats if "running" in k)
    assert all(torch.equal(before[k], after[k]) for k in after if k not in stats)
    # the statistics are the equal-weight average over the batches: the stem's BN sees the stem conv
    conv, bn = net.stem[0][0], net.stem[0][1]
    with torch.no_grad():
        means = [conv(torch.nn.functional.interpolate(b, size=(net.resolution,) * 2, mode="bilinear",
                                                        align_corners=False)).mean(dim=(0, 2, 3)) for b in batches]
    assert torch.allclose(bn.running_mean, torch.stack(means).mean(0), atol=1e-5)
    assert all(m.momentum == 0.1 for m in batch_norms(net))


def test_channel_reordering_keeps_the_largest_network_and_puts_important_channels_first():
    s = space()
    supernet = ElasticMobileNet(SupernetConfig.of_space(s))
    opt = torch.optim.Adam(supernet.parameters())
    supernet(torch.randn(8, 1, 8, 8)).sum().backward()
    opt.step()
    supernet.eval()
    x = torch.randn(4, 1, 8, 8)
    expected = supernet(x)
    sort_channels(supernet.net.modules(), opt)
    assert torch.allclose(supernet(x), expected, atol=1e-5)
    block = supernet.net.stages[1][0]
    importance = block.project[0].weight.abs().sum(dim=(0, 2, 3))
    assert torch.all(importance[:-1] >= importance[1:])
    moment = opt.state[block.project[0].weight]["exp_avg"]  # the optimizer's state moved along
    assert moment.shape == block.project[0].weight.shape


def test_sandwich_rule_and_progressive_shrinking():
    config = SupernetConfig.of_space(space())
    archs = sandwich(config, 1, 0, 0, 3, resolution_per_step=False)
    assert archs[0] == config.largest() and archs[1] == config.smallest() and len(archs) == 5
    assert sandwich(config, 1, 0, 0, 3, resolution_per_step=False) == archs
    assert sandwich(config, 1, 0, 1, 3, resolution_per_step=False) != archs
    assert [phase_of(e, 8, True) for e in range(8)] == [0, 0, 1, 1, 2, 2, 3, 3]
    assert allowed(config, 0) == ((5,), (2,), (6,)) and allowed(config, 2) == ((3, 5), (1, 2), (6,))
    first = sandwich(config, 1, 0, 0, 4, phase=0, resolution_per_step=False)
    assert all(a.blocks == config.largest().blocks for a in first)  # only the resolution varies


def test_one_resolution_per_step_keeps_the_sandwich_at_that_resolution():
    """Once-for-all's elastic resolution: every sub-network of a step (the teacher too) at one
    drawn resolution, the largest and smallest blocks still in every step, each resolution drawn."""
    config = SupernetConfig.of_space(space())
    assert len(config.resolutions) > 1
    seen = set()
    for step in range(12):
        archs = sandwich(config, 1, 0, step, 3, resolution_per_step=True)
        resolutions = {a.resolution for a in archs}
        assert len(resolutions) == 1 and len(archs) == 5
        seen |= resolutions
        assert archs[0].blocks == config.largest().blocks and archs[1].blocks == config.smallest().blocks
    assert seen == set(config.resolutions)
    # without it, the teacher stays at the highest resolution every step (supernets trained before)
    assert all(sandwich(config, 1, 0, step, 3, resolution_per_step=False)[0] == config.largest()
               for step in range(12))
    # a supernet trained before the option trained as ``false`` does: that identity has no such key,
    # so such a file is read when the experiment says false, and refused under the default (true)
    assert "resolution_per_step" not in SupernetSettings.checked(resolution_per_step=False).identity()
    assert SupernetSettings.checked().identity()["resolution_per_step"] is True


def test_resume_after_a_stop_equals_a_straight_run(tmp_path):
    s, d = space(), data()
    settings = SupernetSettings.checked(**{**TRAIN, "progressive": True})  # 2 epochs x 3 steps
    straight = tmp_path / "straight"
    train_supernet(s, d, settings, str(straight), echo=lambda *a: None)
    stopped = tmp_path / "stopped"
    said = []
    for _ in range(2):  # stopped mid-epoch between checkpoints, then after an epoch, like a killed run
        train_supernet(s, d, settings, str(stopped), echo=said.append, max_steps=2)
    assert not (stopped / files.META).exists() and (stopped / files.CHECKPOINT).exists()
    train_supernet(s, d, settings, str(stopped), echo=said.append)
    assert any("resuming from" in line for line in said)
    a, b = files.read_weights(str(straight)), files.read_weights(str(stopped))
    assert a["state"].keys() == b["state"].keys()
    for name in a["state"]:
        assert torch.equal(a["state"][name], b["state"][name]), name
    assert files.read_meta(str(straight))["history"] == files.read_meta(str(stopped))["history"]
    assert not (stopped / files.CHECKPOINT).exists()


def test_a_trained_folder_is_kept_and_a_folder_of_another_supernet_is_refused(trained):
    folder, s, d = trained
    said = []
    train_supernet(s, d, SupernetSettings.checked(**TRAIN), str(folder), echo=said.append)
    assert "already trained (2 epochs); nothing to do" in said[0]
    with pytest.raises(ValueError, match="holds a supernet of another configuration or settings.*epochs"):
        train_supernet(s, d, SupernetSettings.checked(**{**TRAIN, "epochs": 3}), str(folder), echo=lambda *a: None)


def test_the_train_command_reads_the_experiments_supernet_objective(tmp_path):
    from nas_kernel.experiment.errors import ConfigError
    from nas_edge.supernet.command import prepare

    manager = stand_ins()  # (through a process_pool wrapper: tests/integration)
    objective = {"name": "acc", "higher_is_better": True, "evaluator": {
        "name": "supernet", "params": {"path": "sn", "epochs": 3, "lr": 0.01, "dataset": {
            "name": "glyphs", "params": {"train": 96, "val": 48, "num_classes": 4}}}}}
    path = write_experiment(tmp_path, [objective], space={k: v for k, v in TINY_SPACE.items()
                                                          if k not in ("in_channels", "num_classes")})
    space_, record, provider, settings = prepare(str(path), manager, device="cpu")
    assert (settings.epochs, settings.lr, settings.seed, settings.device) == (3, 0.01, 1, "cpu")
    assert (space_.num_classes, space_.in_channels, provider.num_classes) == (4, 1, 4)  # sizes from the data
    write_experiment(tmp_path, [{"name": "p", "higher_is_better": False, "evaluator": {"name": "archid_score"}}])
    with pytest.raises(ConfigError, match="no objective uses the supernet evaluator"):
        prepare(str(path), manager)
    objective["evaluator"]["params"]["distill"] = 2
    write_experiment(tmp_path, [objective])
    with pytest.raises(ConfigError, match=r"objectives\[0\].evaluator.params.*distill must be <= 1"):
        prepare(str(path), manager)


def test_evaluator_scores_with_inherited_weights_and_loads_once(trained):
    folder, s, d = trained
    evaluator = SupernetEvaluator(str(folder), dataset=d, calibration_batches=2, **TRAIN)
    again = pickle.loads(pickle.dumps(evaluator))  # what a process_pool worker receives
    assert again._supernet is None
    models = [s.random_sample() for _ in range(3)]
    scores = [again.evaluate(m) for m in models]
    loaded = again._supernet
    assert all(0 <= x <= 1 for x in scores)
    assert again.evaluate(models[0]) == scores[0] and again._supernet is loaded  # loaded once, same score
    assert models[0].metadata["supernet"] == str(folder)
    # the score is the extracted network's accuracy after recalibration, with no training
    net = again.inherited(models[0])
    X, y = d.get_val()
    with torch.no_grad():
        assert (net(X).argmax(1) == y).float().mean().item() == pytest.approx(scores[0])


def test_candidates_outside_the_supernet_fail_with_the_reason(trained):
    folder, _, d = trained
    evaluator = SupernetEvaluator(str(folder), dataset=d, **TRAIN)
    wider = space(kernels=[3, 5, 7])
    arch = MobileNetArch(8, 0.5, (((7, 3),), ((3, 3),)))
    with pytest.raises(ValueError, match=r"outside the supernet's range: stage 0 block k7e3: kernel not in \[3, 5\]"):
        evaluator.evaluate(wider.make(arch))
    other_width = space(widths=[0.75]).make(MobileNetArch(8, 0.75, (((3, 3),), ((3, 3),))))
    with pytest.raises(ValueError, match="width 0.75 is not the supernet's: it was trained for width 0.5 only"):
        evaluator.evaluate(other_width)


def test_a_supernet_trained_otherwise_is_refused(trained, tmp_path):
    folder, s, d = trained
    with pytest.raises(ValueError, match=r"trained with other settings: lr 0.003 \(the experiment says 0.01\)"):
        SupernetEvaluator(str(folder), dataset=d, **{**TRAIN, "lr": 0.01})
    other = Glyphs(seed=2, train=96, val=48, test=0, num_classes=4)
    with pytest.raises(ValueError, match="trained on data with"):
        SupernetEvaluator(str(folder), dataset=other, **TRAIN)
    evaluator = SupernetEvaluator(str(folder), dataset=d, **TRAIN)
    from nas_kernel.data_fit import DataMismatch

    with pytest.raises(DataMismatch, match="another configuration of the space: stage table"):
        evaluator.check_fits(space(stem_channels=16).random_sample())
    evaluator.check_fits(s.random_sample())
    with pytest.raises(FileNotFoundError, match="is not a folder: train the supernet first"):
        SupernetEvaluator(str(tmp_path / "nothing-here"), dataset=d, **TRAIN)
    with pytest.raises(FileNotFoundError, match="holds no trained supernet"):
        SupernetEvaluator(str(tmp_path), dataset=d, **TRAIN)


def test_a_supernet_trained_before_resolution_per_step_is_read_only_as_false(trained, tmp_path):
    """A file written before the setting existed has no such key: it trained as ``false`` does."""
    folder, s, d = trained
    older = tmp_path / "older"
    shutil.copytree(folder, older)
    meta = json.loads((older / files.META).read_text(encoding="utf-8"))
    assert meta["settings"].pop("resolution_per_step") is True
    (older / files.META).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ValueError, match=r"resolution_per_step None \(the experiment says True\)"):
        SupernetEvaluator(str(older), dataset=d, **TRAIN)
    evaluator = SupernetEvaluator(str(older), dataset=d, **TRAIN, resolution_per_step=False)
    assert 0.0 <= evaluator.evaluate(s.random_sample()) <= 1.0


def test_zero_init_residual_is_part_of_what_a_supernet_is_only_when_on():
    """Off (the default, and what every supernet trained before the option did) it stays out of the
    identity, so those files are still read; on, a supernet trained otherwise is refused."""
    assert "zero_init_residual" not in SupernetSettings.checked().identity()
    assert SupernetSettings.checked(zero_init_residual=True).identity()["zero_init_residual"] is True
    with pytest.raises(ValueError, match="zero_init_residual must be true or false"):
        SupernetSettings.checked(zero_init_residual="yes")


def test_a_supernet_trained_with_a_later_option_on_is_refused_where_the_experiment_leaves_it_off(tmp_path):
    """The other direction of the test above: the file holds the key and the experiment's identity
    (at the old value) does not; the evaluator names it and reads the file once the option is set."""
    s, d = space(), data()
    train = {**TRAIN, "epochs": 1, "zero_init_residual": True}
    train_supernet(s, d, SupernetSettings.checked(**train), str(tmp_path), echo=lambda *a: None)
    with pytest.raises(ValueError, match=r"zero_init_residual True \(the experiment says False\)"):
        SupernetEvaluator(str(tmp_path), dataset=d, **TRAIN)
    assert 0.0 <= SupernetEvaluator(str(tmp_path), dataset=d, **train).evaluate(s.random_sample()) <= 1.0


def test_zero_init_residual_starts_every_depth_of_a_stage_as_its_first_block():
    """Initialised with ``zero_init_residual``, a stage's extra blocks add nothing
    yet, so the shallowest and the deepest sub-network compute the same function, in training and
    in evaluation; with the usual initialisation they differ."""
    config = SupernetConfig.of_space(space())
    deep = config.largest()
    shallow = MobileNetArch(deep.resolution, deep.width, tuple(stage[:1] for stage in deep.blocks))
    assert deep.depths != shallow.depths
    x = torch.randn(6, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    for zero in (True, False):
        supernet = build_supernet(config, SupernetSettings.checked(zero_init_residual=zero))
        scales = [b.project[1].weight for b in supernet.net.modules() if isinstance(b, InvertedResidual) and b.residual]
        assert scales and all(bool((w == 0).all()) == zero for w in scales)
        for training in (True, False):
            supernet.train(training)
            with torch.no_grad():
                same = torch.allclose(supernet(x, deep), supernet(x, shallow), atol=1e-6)
            assert same == zero, (zero, training)


@pytest.mark.parametrize("final_training", ["finetune", "scratch"])
def test_train_final_trains_the_chosen_subnetwork(trained, final_training):
    folder, s, d = trained
    evaluator = SupernetEvaluator(str(folder), dataset=d, final_training=final_training, **TRAIN)
    model = s.random_sample()
    inherited = evaluator.inherited(model).state_dict()
    score, result = evaluator.train_final(model, 1, device="cpu")
    assert 0 <= score <= 1 and result.archid == model.archid
    assert result.metadata["final_training"] == final_training
    trained_state = result.arch.state_dict()
    assert any(not torch.equal(trained_state[k], inherited[k]) for k in trained_state)
    if final_training == "finetune":  # it started from the inherited weights: they are still close
        key = "head.classifier.weight"
        assert (trained_state[key] - inherited[key]).abs().max() < 0.1


@pytest.mark.skipif(not has_cuda() or torch.cuda.device_count() < 2, reason="needs two CUDA GPUs")
def test_data_parallel_training_over_every_gpu(tmp_path):
    s, d = space(), data()
    meta = train_supernet(s, d, SupernetSettings.checked(**{**TRAIN, "device": "cuda"}), str(tmp_path),
                          echo=lambda *a: None)
    assert meta["world_size"] == torch.cuda.device_count()
    assert (tmp_path / files.META).exists()


CUDA_ONLY = pytest.mark.skipif(not has_cuda(), reason="needs a CUDA GPU")


@pytest.mark.parametrize("precision", [pytest.param("fp32", marks=CUDA_ONLY), pytest.param("bf16", marks=CUDA_ONLY),
                                       pytest.param("fp16", marks=CUDA_ONLY)])
def test_trains_and_scores_on_a_gpu(tmp_path, precision):
    s, d = space(), data()
    settings = {**TRAIN, "device": "cuda", "precision": precision, "data_parallel": "off"}
    meta = train_supernet(s, d, SupernetSettings.checked(**settings), str(tmp_path), echo=lambda *a: None)
    assert meta["device"] == "cuda:0" and len(meta["history"]) == 2
    evaluator = SupernetEvaluator(str(tmp_path), dataset=d, **settings)
    model = s.random_sample()
    assert 0 <= evaluator.evaluate(model) <= 1 and model.metadata["device"] == "cuda:0"
    score, trained = evaluator.train_final(model, 1)
    assert 0 <= score <= 1 and next(trained.arch.parameters()).device.type == "cuda"


def test_the_data_parallel_loop_runs_over_two_processes_with_gloo(tmp_path):
    """The DistributedDataParallel path a multi-GPU machine takes, run here over two CPU processes
    (gloo): both ranks train on their halves of each batch, rank 0 writes the supernet."""
    from nas_edge.supernet import trainer
    from nas_edge.supernet.distributed import launch

    s, d = space(), data()
    settings = SupernetSettings.checked(**{**TRAIN, "epochs": 1})
    config = SupernetConfig.of_space(s)
    identity = trainer.describe(config, settings, d, None)
    launch(2, trainer._train_rank, (config, d, settings, str(tmp_path), identity, None), "cpu")
    meta = files.read_meta(str(tmp_path))
    assert meta["world_size"] == 2 and meta["device"] == "2xcpu" and len(meta["history"]) == 1
    state = files.read_weights(str(tmp_path))["state"]
    initial = trainer.build_supernet(config, settings).state_dict()
    assert all(torch.isfinite(v.float()).all() for v in state.values())
    assert not torch.equal(state["net.head.classifier.weight"], initial["net.head.classifier.weight"])
