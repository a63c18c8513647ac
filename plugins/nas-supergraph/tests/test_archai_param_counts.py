"""Every op builds a module of the size Archai 1.0 builds for the same description: the
parameter counts below were measured on ``archai==1.0.0`` (C = 16 channels in and out, affine
batch norms unless a row says otherwise), and each row spells the count as its formula so a
change in an op's structure shows which term moved.

Descriptions where the channels differ (``ch_in != ch_out``) are left out on purpose: Archai's
pooling and ``SepConv`` build there but cannot run (see ``docs/archai-migration.md``).
"""
from __future__ import annotations

import pytest

from nas_supergraph.model_desc import ConvMacroParams, OpDesc
from nas_supergraph.operations import Op

C = 16
BN = 2 * C  # an affine batch norm: scale and shift per channel


def desc(name, stride=1, ch_in=C, ch_out=C, **params):
    return OpDesc(name, {"conv": ConvMacroParams(ch_in, ch_out), "stride": stride, **params}, in_len=1,
                  trainables=None)


def dil(k):  # depthwise k x k, pointwise C x C, batch norm
    return C * k * k + C * C + BN


# (registry name, description, affine, Archai's count, the count as a formula)
ROWS = [
    ("none", desc("none"), True, 0, 0),
    ("max_pool_3x3", desc("max_pool_3x3"), True, 0, 0),  # its batch norm learns nothing
    ("avg_pool_3x3", desc("avg_pool_3x3", stride=2), True, 0, 0),
    ("skip_connect", desc("skip_connect"), True, 0, 0),
    ("skip_connect stride 2", desc("skip_connect", stride=2), True, 288, 2 * (C * C // 2) + BN),
    ("sep_conv_3x3", desc("sep_conv_3x3"), True, 864, 2 * dil(3)),
    ("sep_conv_5x5", desc("sep_conv_5x5"), True, 1376, 2 * dil(5)),
    ("sep_conv_7x7", desc("sep_conv_7x7", stride=2), True, 2144, 2 * dil(7)),
    ("dil_conv_3x3", desc("dil_conv_3x3"), True, 432, dil(3)),
    ("dil_conv_5x5", desc("dil_conv_5x5"), True, 688, dil(5)),
    ("conv_7x1_1x7", desc("conv_7x1_1x7"), True, 3616, 2 * C * C * 7 + BN),
    ("convbnrelu_3x3", desc("convbnrelu_3x3"), True, 2336, C * C * 9 + BN),
    ("convbnrelu_1x1", desc("convbnrelu_1x1"), True, 288, C * C + BN),
    ("prepr_normal", desc("prepr_normal"), True, 288, C * C + BN),
    ("prepr_reduce", desc("prepr_reduce"), True, 288, 2 * (C * C // 2) + BN),
    ("stem_conv3x3", desc("stem_conv3x3"), True, 2336, C * C * 9 + BN),
    ("stem_conv3x3Relu", desc("stem_conv3x3Relu"), True, 2336, C * C * 9 + BN),
    ("stem_conv3x3_s4", desc("stem_conv3x3_s4"), True, 2352, C * (C // 2) * 9 + C + (C // 2) * C * 9 + BN),
    ("stem_conv3x3_s4s2", desc("stem_conv3x3_s4s2"), True, 4688,
     C * (C // 2) * 9 + C + (C // 2) * C * 9 + BN + C * C * 9 + BN),
    ("pool_adaptive_avg2d", desc("pool_adaptive_avg2d"), True, 0, 0),
    ("pool_avg2d7x7", desc("pool_avg2d7x7"), True, 0, 0),
    ("pool_mean_tensor", desc("pool_mean_tensor"), True, 0, 0),
    ("linear", OpDesc("linear", {"n_ch": C, "n_classes": 10}, in_len=1, trainables=None), True, 170, C * 10 + 10),
    ("concate_channels", OpDesc("concate_channels", {"conv": ConvMacroParams(4 * C, C), "out_states": 4},
                                in_len=1, trainables=None), True, 0, 0),
    ("proj_channels", OpDesc("proj_channels", {"conv": ConvMacroParams(4 * C, C), "out_states": 4},
                             in_len=1, trainables=None), True, 1056, 4 * C * C + BN),
    # children read inputs 0 and 1; their outputs are concatenated and projected 2C -> C
    ("multi_op", OpDesc("multi_op", {"conv": ConvMacroParams(C, C), "stride": 1}, in_len=1, trainables=None,
                        children=[desc("sep_conv_3x3"), desc("max_pool_3x3")], children_ins=[0, 1]),
     True, 1408, 2 * dil(3) + 0 + 2 * C * C + BN),
    ("multi_op without affine", OpDesc("multi_op", {"conv": ConvMacroParams(C, C), "stride": 2}, in_len=1,
                                       trainables=None, children=[desc("sep_conv_3x3", stride=2),
                                                                  desc("max_pool_3x3", stride=2)],
                                       children_ins=[0, 1]),
     False, 1312, 2 * (dil(3) - BN) + 2 * C * C),
    # the 8 DARTS candidates (pools, skip and none learn nothing) plus its 8 alphas
    ("mixed_op", desc("mixed_op"), False, 3176, 2 * (dil(3) - BN) + 2 * (dil(5) - BN) + (dil(3) - BN)
     + (dil(5) - BN) + 8),
    ("mixed_op affine", desc("mixed_op"), True, 3368, 2 * dil(3) + 2 * dil(5) + dil(3) + dil(5) + 8),
    # stride 2: skip_connect becomes a factorized reduce
    ("mixed_op stride 2", desc("mixed_op", stride=2), False, 3432,
     2 * (dil(3) - BN) + 2 * (dil(5) - BN) + (dil(3) - BN) + (dil(5) - BN) + 2 * (C * C // 2) + 8),
]


@pytest.mark.parametrize("name,op_desc,affine,archai_count,formula", ROWS, ids=[r[0] for r in ROWS])
def test_op_has_archais_parameter_count(name, op_desc, affine, archai_count, formula):
    op = Op.create(op_desc, affine)
    assert formula == archai_count
    assert sum(p.numel() for p in op.parameters()) == archai_count
