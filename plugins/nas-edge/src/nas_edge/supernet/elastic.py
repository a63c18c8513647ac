"""The elastic ``mobilenet`` network: one set of shared weights, any sub-network of the supernet's
range cut from it.

The shared weights are those of the largest network (every stage at its largest depth, every block
at the largest kernel and expansion), built by the space's own :class:`MobileNetNetwork`. A
sub-network is run by handing the parameters it would have, cut from the shared ones, to a
weight-less copy of *its own* ``MobileNetNetwork`` (``torch.func.functional_call``): the supernet
in a configuration and the extracted sub-network run the same modules on the same numbers, and
the block structure is written once, in ``mobilenet_network``.

How a weight is cut (``weights_for``):

- fewer blocks per stage: the stage's first blocks (the same names, so the later ones are unused);
- a smaller expansion: the first expanded channels (``channel_order`` keeps the most important
  ones first), and the first channels of the squeeze-and-excitation module;
- a smaller kernel: the centre of the larger kernel, passed through a small learned linear map per
  block and kernel size (``kernel_transform``, once-for-all's transform, initialised to the
  identity: a 5x5 kernel is ``T_7to5`` applied to the 7x7 kernel's centre, a 3x3 kernel is
  ``T_5to3`` applied to the 5x5 one's centre). ``kernel_transform: false`` uses the plain centre.

Batch-norm statistics are the shared buffers' first channels; a sub-network's are recalibrated on a
few training batches before it is scored (``bn_calibration``).
"""
from __future__ import annotations

import re
from collections import OrderedDict
from typing import Dict, Optional

import torch
from torch import nn

from nas_edge.mobilenet_arch import MobileNetArch
from nas_edge.mobilenet_network import MobileNetNetwork
from nas_edge.supernet.config import SupernetConfig

_DEPTHWISE = re.compile(r"^stages\.(\d+)\.(\d+)\.depthwise\.0\.weight$")
_TEMPLATES = 64  # weight-less sub-network modules kept per supernet (they cost no memory)


def transform_name(stage: int, index: int, big: int, small: int) -> str:
    return f"s{stage}b{index}_{big}to{small}"


class ElasticMobileNet(nn.Module):
    """Shared weights of a ``mobilenet`` supernet (``net``: the largest network, ``kernel_transforms``).

    ``forward(x, arch)`` runs the sub-network ``arch`` (default: the largest); ``extract(arch)`` returns it
    as a standalone ``MobileNetNetwork`` holding copies of its inherited weights.
    """

    def __init__(self, config: SupernetConfig, kernel_transform: bool = True) -> None:
        super().__init__()
        self.config = config
        self.kernel_transform = bool(kernel_transform)
        self.largest_arch = config.largest()
        self.net = MobileNetNetwork(self.largest_arch, config.table, config.in_channels, config.num_classes,
                                    config.dropout)
        kernels = sorted(config.kernels, reverse=True)
        transforms = {}
        if self.kernel_transform:
            for s, stage in enumerate(self.largest_arch.blocks):
                for i in range(len(stage)):
                    for big, small in zip(kernels, kernels[1:]):
                        transforms[transform_name(s, i, big, small)] = nn.Parameter(torch.eye(small * small))
        self.kernel_transforms = nn.ParameterDict(transforms)
        self._templates: "OrderedDict[str, MobileNetNetwork]" = OrderedDict()

    # ---- sub-network modules ------------------------------------------------------------------
    def template(self, arch: MobileNetArch) -> MobileNetNetwork:
        """A weight-less (meta-device) ``MobileNetNetwork`` of ``arch``, cached."""
        key = arch.archid()
        net = self._templates.get(key)
        if net is None:
            self.config.check_arch(arch)
            with torch.device("meta"):
                net = MobileNetNetwork(arch, self.config.table, self.config.in_channels, self.config.num_classes,
                                       self.config.dropout)
            self._templates[key] = net
            while len(self._templates) > _TEMPLATES:
                self._templates.popitem(last=False)
        else:
            self._templates.move_to_end(key)
        return net

    def _kernel(self, weight: torch.Tensor, stage: int, index: int, kernel: int) -> torch.Tensor:
        """The depthwise kernel of size ``kernel`` cut (and transformed) from the largest one."""
        size = weight.shape[-1]
        for smaller in sorted((k for k in self.config.kernels if kernel <= k < size), reverse=True):
            start = (weight.shape[-1] - smaller) // 2
            centre = weight[:, :, start:start + smaller, start:start + smaller]
            if self.kernel_transform:
                matrix = self.kernel_transforms[transform_name(stage, index, weight.shape[-1], smaller)]
                centre = (centre.reshape(-1, smaller * smaller) @ matrix).reshape(centre.shape)
            weight = centre
        return weight

    def weights_for(self, arch: MobileNetArch) -> Dict[str, torch.Tensor]:
        """Every parameter and buffer of ``arch``'s network, cut from the shared ones (views and
        differentiable functions of them: gradients flow back to the shared weights, and batch-norm
        running statistics updated in training mode land in the shared buffers)."""
        shared = dict(self.net.named_parameters())
        shared.update(self.net.named_buffers())
        out: Dict[str, torch.Tensor] = {}
        for name, tensor in list(self.template(arch).named_parameters()) + list(self.template(arch).named_buffers()):
            source = shared[name]
            if tensor.dim() == 0:
                out[name] = source
                continue
            cut = source[tuple(slice(0, n) for n in tensor.shape[:2])] if tensor.dim() > 1 else source[:tensor.shape[0]]
            match = _DEPTHWISE.match(name)
            if match is not None and tensor.shape[-1] != source.shape[-1]:
                stage, index = int(match.group(1)), int(match.group(2))
                cut = self._kernel(cut, stage, index, tensor.shape[-1])
            elif tensor.dim() > 2 and tuple(cut.shape) != tuple(tensor.shape):
                cut = cut[..., :tensor.shape[-2], :tensor.shape[-1]]
            if tuple(cut.shape) != tuple(tensor.shape):  # a bug here, never an input error
                raise RuntimeError(f"supernet weight {name}: cut {tuple(cut.shape)}, expected {tuple(tensor.shape)}")
            out[name] = cut
        return out

    def forward(self, x: torch.Tensor, arch: Optional[MobileNetArch] = None) -> torch.Tensor:
        arch = self.largest_arch if arch is None else arch
        template = self.template(arch)
        template.train(self.training)
        return torch.func.functional_call(template, self.weights_for(arch), (x,))

    def extract(self, arch: MobileNetArch) -> MobileNetNetwork:
        """``arch`` as a standalone network with copies of its inherited weights (on the CPU)."""
        self.config.check_arch(arch)
        net = MobileNetNetwork(arch, self.config.table, self.config.in_channels, self.config.num_classes,
                               self.config.dropout)
        with torch.no_grad():
            weights = {k: v.detach().to("cpu").clone() for k, v in self.weights_for(arch).items()}
        net.load_state_dict(weights)
        net.train(self.training)
        return net

    def state_for_file(self) -> Dict[str, torch.Tensor]:
        return {k: v.detach().cpu() for k, v in self.state_dict().items()}
