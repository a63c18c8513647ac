"""Every op: shapes (stride 1 and 2, channel changes), gradients, exact parameter counts,
no work for Zero / Identity / none / pruned candidates."""
from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from nas_supergraph.model_desc import OpDesc
from nas_supergraph.mixed_op import MixedOp
from nas_supergraph.op_lookup import builtin_op_names, create_op
from nas_supergraph.operations import PRIMITIVES, conv_desc

CELL_OPS = ["none", "identity", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
            "sep_conv_7x7", "dil_conv_3x3", "dil_conv_5x5", "conv_7x1_1x7", "convbnrelu_3x3", "convbnrelu_1x1",
            "prepr_normal", "prepr_reduce", "mixed_op", "stem_conv3x3", "stem_conv3x3Relu"]
#: ops that keep their channels by nature (pooling, identity) refuse ch_in != ch_out
SAME_CHANNELS = {"identity", "max_pool_3x3", "avg_pool_3x3"}
#: prepr_reduce is always a 2x reduction
ALWAYS_STRIDE_2 = {"prepr_reduce"}


def flops(module, x):
    with FlopCounterMode(display=False) as counter:
        out = module(x)
        if out.requires_grad:
            out.sum().backward()
    return counter.get_total_flops()


def count(module):
    return sum(p.numel() for p in module.parameters())


def test_every_registered_op_is_covered():
    heads = {"stem_conv3x3_s4", "stem_conv3x3_s4s2", "pool_adaptive_avg2d", "pool_avg2d7x7", "pool_mean_tensor",
             "linear", "concate_channels", "proj_channels", "multi_op"}
    assert set(builtin_op_names()) == set(CELL_OPS) | heads


@pytest.mark.parametrize("name", CELL_OPS)
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("ch_in,ch_out", [(8, 8), (8, 12)])
def test_op_output_shape_and_gradients(name, stride, ch_in, ch_out):
    desc = conv_desc(name, ch_in, ch_out, stride)
    if name == "mixed_op" and ch_in != ch_out:  # only candidates that can change channels
        desc.params["ops"] = ["none", "sep_conv_3x3", "dil_conv_5x5", "conv_7x1_1x7"]
    if ch_in != ch_out and (name in SAME_CHANNELS or name == "skip_connect" and stride == 1):
        with pytest.raises(ValueError, match="ch_in == ch_out"):
            create_op(desc, True)
        return
    if name == "identity" and stride == 2:
        with pytest.raises(ValueError, match="stride 1"):
            create_op(desc, True)
        return
    op = create_op(desc, affine=True)
    op.train()
    x = torch.randn(2, ch_in, 9, 10, requires_grad=True)  # odd sizes on purpose
    out = op(x)
    expected_stride = 2 if name in ALWAYS_STRIDE_2 else stride
    assert out.shape == (2, ch_out, -(-9 // expected_stride), -(-10 // expected_stride)), name
    if name == "none":
        assert not out.requires_grad and torch.count_nonzero(out) == 0
        return
    out.square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0, name
    for p in op.parameters():
        assert p.grad is not None, f"{name}: parameter without gradient"


@pytest.mark.parametrize("name,expected", [("sep_conv_3x3", 864), ("sep_conv_5x5", 1376), ("dil_conv_3x3", 432),
                                           ("dil_conv_5x5", 688), ("prepr_reduce", 288)])
def test_parameter_counts_match_darts(name, expected):
    assert count(create_op(conv_desc(name, 16, 16), affine=True)) == expected


def test_mixed_op_parameter_count_matches_darts():
    assert count(create_op(conv_desc("mixed_op", 16, 16), affine=False)) == 3176


@pytest.mark.parametrize("stride", [1, 2])
def test_zero_and_identity_cost_no_flops(stride):
    x = torch.randn(4, 16, 8, 8, requires_grad=True)
    zero = create_op(conv_desc("none", 16, 16, stride), True)
    assert flops(zero, x) == 0
    assert zero(x).shape == (4, 16, 8 // stride, 8 // stride)
    assert flops(create_op(conv_desc("identity", 16, 16), True), x) == 0
    assert flops(create_op(conv_desc("skip_connect", 16, 16, 1), True), x) == 0


def test_zero_keeps_channels_last():
    x = torch.randn(2, 16, 8, 8).contiguous(memory_format=torch.channels_last)
    out = create_op(conv_desc("none", 16, 16, 2), True)(x)
    assert out.is_contiguous(memory_format=torch.channels_last)


def test_mixed_op_is_the_weighted_sum_of_its_candidates():
    torch.manual_seed(0)
    op = create_op(conv_desc("mixed_op", 8, 8), affine=False).eval()
    with torch.no_grad():
        op.alphas().normal_()
    x = torch.randn(2, 8, 6, 6)
    weights = torch.softmax(op.alphas(), -1)
    expected = sum(w * cand(x) for w, cand in zip(weights, op.candidates))
    torch.testing.assert_close(op(x), expected, rtol=1e-5, atol=1e-5)


def test_mixed_op_does_no_work_for_none_or_pruned_candidates():
    x = torch.randn(2, 8, 8, 8)
    only_cheap = create_op(conv_desc("mixed_op", 8, 8, ops=["none", "skip_connect"]), affine=False)
    assert flops(only_cheap, x) == flops(create_op(conv_desc("skip_connect", 8, 8), False), x) == 0
    full = create_op(conv_desc("mixed_op", 8, 8), affine=False)
    before = flops(full, x)
    full.prune(["sep_conv_3x3"])
    sep = create_op(conv_desc("sep_conv_3x3", 8, 8), False)
    after = flops(full, x)
    assert after < before / 3
    assert after <= flops(sep, x) * 1.05  # the pruned op costs what its one candidate costs
    assert full.finalize()[0].name == "sep_conv_3x3"


def test_mixed_op_hard_gumbel_runs_one_candidate():
    op = create_op(conv_desc("mixed_op", 8, 8), affine=False).train()
    op.weighting, op.tau = "gumbel_hard", 1.0
    x = torch.randn(2, 8, 8, 8)
    out = op(x)
    out.sum().backward()
    assert op.alphas().grad is not None  # straight-through gradient reaches every alpha
    assert flops(op, x) <= flops(create_op(conv_desc("sep_conv_5x5", 8, 8), False), x)


def test_mixed_op_finalize_never_picks_none():
    op = create_op(conv_desc("mixed_op", 8, 8), affine=False)
    with torch.no_grad():
        op.alphas().zero_()
        op.alphas()[PRIMITIVES.index("none")] = 10.0
        op.alphas()[PRIMITIVES.index("dil_conv_5x5")] = 1.0
    desc, rank = op.finalize()
    assert desc.name == "dil_conv_5x5" and 0 < rank < 0.5


def test_heads_merges_and_multi_op():
    x = torch.randn(2, 16, 14, 14)
    assert create_op(conv_desc("stem_conv3x3_s4", 3, 16), True)(torch.randn(2, 3, 16, 16)).shape == (2, 16, 4, 4)
    assert create_op(conv_desc("stem_conv3x3_s4s2", 16, 32), True)(x).shape == (2, 32, 2, 2)  # 4x then 2x
    assert create_op(conv_desc("pool_adaptive_avg2d", 16, 16), True)(x).shape == (2, 16, 1, 1)
    assert create_op(conv_desc("pool_avg2d7x7", 16, 16), True)(x).shape == (2, 16, 2, 2)
    assert create_op(conv_desc("pool_mean_tensor", 16, 16), True)(x).shape == (2, 16)
    assert create_op(OpDesc("linear", {"n_ch": 16, "n_classes": 10}), True)(torch.randn(2, 16, 1, 1)).shape == (2, 10)
    states = [torch.randn(2, 4, 5, 5) for _ in range(3)]
    conv12 = conv_desc("x", 12, 12).conv
    assert create_op(OpDesc("concate_channels", {"conv": conv12, "out_states": 3}, 3), True)(states).shape == (2, 12, 5, 5)
    assert create_op(OpDesc("proj_channels", {"conv": conv_desc("x", 12, 6).conv, "out_states": 3}, 3),
                     True)(states).shape == (2, 6, 5, 5)
    multi = OpDesc("multi_op", {"conv": conv_desc("x", 4, 4).conv},
                   children=[conv_desc("sep_conv_3x3", 4, 4), conv_desc("identity", 4, 4)])
    y = torch.randn(2, 4, 5, 5)
    out = create_op(multi, True)(y)
    assert out.shape == y.shape


def test_drop_path_zeroes_whole_samples_in_training_only():
    from nas_supergraph.operations import DropPath_

    torch.manual_seed(0)
    dp = DropPath_(0.5)
    x = torch.ones(64, 2, 3, 3)
    out = dp.train()(x)
    per_sample = out.flatten(1)
    assert set(per_sample.unique().tolist()) <= {0.0, 2.0}
    assert 10 < int((per_sample[:, 0] == 0).sum()) < 54
    assert torch.equal(dp.eval()(x), x)
    with pytest.raises(ValueError):
        DropPath_(1.0)


def test_unknown_op_and_bad_stride_are_clear_errors():
    with pytest.raises(ValueError, match="unknown op 'sep_conv_9x9'"):
        create_op(conv_desc("sep_conv_9x9", 4, 4), True)
    with pytest.raises(ValueError, match="stride must be 1 or 2"):
        create_op(conv_desc("sep_conv_3x3", 4, 4, 3), True)
    with pytest.raises(ValueError, match="candidates must be distinct"):
        MixedOp(conv_desc("mixed_op", 4, 4, ops=["none", "none"]))


def test_mixed_op_fused_path_matches_the_plain_weighted_sum_in_training():
    """Shared ReLU, weights folded into BN and in-place accumulation change nothing: outputs,
    running statistics and gradients equal the textbook sum of weighted candidates."""
    import copy

    torch.manual_seed(0)
    op = create_op(conv_desc("mixed_op", 8, 8), affine=False).train()
    with torch.no_grad():
        op.alphas().normal_()
    ref = copy.deepcopy(op)
    x = torch.randn(4, 8, 6, 6, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_(True)
    out = op(x)
    weights = torch.softmax(ref.alphas(), -1)
    expected = sum(w * cand(x_ref) for w, cand in zip(weights, ref.candidates))
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    for (name, a), (_, b) in zip(op.named_buffers(), ref.named_buffers()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=name)
    grad = torch.randn_like(out)
    out.backward(grad)
    expected.backward(grad)
    torch.testing.assert_close(x.grad, x_ref.grad, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(op.alphas().grad, ref.alphas().grad, rtol=1e-4, atol=1e-5)
    for (name, a), (_, b) in zip(op.named_parameters(), ref.named_parameters()):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5, msg=name)
