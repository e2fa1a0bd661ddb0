"""Regularisers that act on gradients after backward and before the optimiser's step.

`ortho_`: BigGAN's orthogonal regularisation (Brock et al. 2019, sec. 3.1) as its code applies it,
ajbrock/BigGAN-PyTorch@98459431 utils.ortho (PyTorch-StudioGAN's utils/misc.orthogonalize_model is the
same function): for every parameter with at least two axes that is not blacklisted, W = the parameter
viewed as (rows, -1), strength * 2 (W W^T * (1 - I)) W is added to its gradient. That is the gradient of
strength * 1/2 ||W W^T * (1 - I)||_F^2: half of the paper's beta ||W^T W * (1 - I)||_F^2 with the rows
(output units) as the vectors kept apart, so a `strength` taken from BigGAN-PyTorch's --G_ortho means
what it meant there. BigGAN-PyTorch blacklists G's shared class embedding; with spectral norm the
regularised tensor is `weight_orig`, the parameter the optimiser updates.
"""

from __future__ import annotations

from typing import Iterable

import torch
import torch.nn as nn


@torch.no_grad()
def ortho_(module: nn.Module, strength: float, blacklist: Iterable[torch.Tensor] = ()) -> None:
    """Adds the orthogonal regulariser's gradient to `module`'s parameters' .grad in place. A parameter
    without a gradient (its loss did not reach it) gets the regulariser's gradient alone."""
    skip = {id(p) for p in blacklist}
    for p in module.parameters():
        if p.dim() < 2 or id(p) in skip:
            continue
        w = p.view(p.shape[0], -1)
        off_diagonal = w @ w.t() * (1.0 - torch.eye(w.shape[0], device=w.device, dtype=w.dtype))
        grad = (2.0 * strength) * (off_diagonal @ w)
        if p.grad is None:
            p.grad = grad.view_as(p).clone()
        else:
            p.grad.add_(grad.view_as(p))


def ortho_penalty(module: nn.Module, blacklist: Iterable[torch.Tensor] = ()) -> torch.Tensor:
    """1/2 sum over the same parameters of ||W W^T * (1 - I)||_F^2, whose gradient `ortho_` adds (times
    its strength): the value to log, and the check of `ortho_` by autograd."""
    skip = {id(p) for p in blacklist}
    total = torch.zeros(())
    for p in module.parameters():
        if p.dim() < 2 or id(p) in skip:
            continue
        w = p.view(p.shape[0], -1)
        total = total + 0.5 * (w @ w.t() * (1.0 - torch.eye(w.shape[0], device=w.device, dtype=w.dtype))).pow(2).sum()
    return total
