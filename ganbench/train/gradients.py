"""Gradient norms per layer: the signal behind the vanishing- and exploding-gradient figures (Arjovsky &
Bottou 2017, fig. 2; Gulrajani et al. 2017, fig. 1b). A layer is a module that owns parameters directly
(a convolution with its bias, a batch norm's scale and shift); spectral norm's `weight_orig` counts as the
weight it is."""

from __future__ import annotations

from typing import Dict, List, Tuple

import torch
from torch import nn


def layers(module: nn.Module) -> List[Tuple[str, List[nn.Parameter]]]:
    """(name, parameters) of every layer of `module`, in registration order (input side first for the
    sequential networks here); a network's own top-level parameters are the layer ''."""
    out = []
    for name, m in module.named_modules():
        params = list(m.parameters(recurse=False))
        if params:
            out.append((name, params))
    return out


def layer_norms(module: nn.Module) -> Dict[str, float]:
    """{layer name: L2 norm of its parameters' current .grad}; layers without a gradient are left out."""
    out = {}
    for name, params in layers(module):
        sq = [p.grad.detach().double().pow(2).sum() for p in params if p.grad is not None]
        if sq:
            out[name] = float(torch.stack(sq).sum().sqrt())
    return out
