"""The GAN losses and the penalties, as their sources write them.

bce: D minimises BCE(D(x), 1) + BCE(D(G(z)), 0); G the non-saturating BCE(D(G(z)), 1) (Goodfellow
et al. 2014, DCGAN). minimax: D as bce; G minimises the saturating log(1 - D(G(z))) of the minimax game
(Goodfellow et al. 2014, eq. 1). lsgan: D 1/2 (D(x) - b)^2 + 1/2 (D(G(z)) - a)^2, G 1/2 (D(G(z)) - c)^2
with a=0, b=c=1 (Mao et al. 2017, eq. 9). wasserstein: D E[D(G(z))] - E[D(x)], G -E[D(G(z))]. hinge: D
E[relu(1 - D(x))] + E[relu(1 + D(G(z)))], G -E[D(G(z))] (Miyato et al. 2018, eq. 17)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def d_loss(loss: str, real: torch.Tensor, fake: torch.Tensor, t_real=None, t_fake=None) -> torch.Tensor:
    """`t_real` / `t_fake`: per-sample targets (label smoothing and flips), bce, minimax and lsgan only."""
    if loss in ("bce", "minimax", "lsgan"):
        t_real = torch.ones_like(real) if t_real is None else t_real.view_as(real)
        t_fake = torch.zeros_like(fake) if t_fake is None else t_fake.view_as(fake)
        if loss != "lsgan":
            return F.binary_cross_entropy_with_logits(real, t_real) + F.binary_cross_entropy_with_logits(fake, t_fake)
        return 0.5 * ((real - t_real) ** 2).mean() + 0.5 * ((fake - t_fake) ** 2).mean()
    if loss == "wasserstein":
        return fake.mean() - real.mean()
    if loss == "hinge":
        return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()
    raise ValueError(loss)


def g_loss(loss: str, fake: torch.Tensor) -> torch.Tensor:
    if loss == "bce":
        return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
    if loss == "minimax":  # minimise log(1 - D(G(z))) = -BCE(D(G(z)), 0)
        return -F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
    if loss == "lsgan":
        return 0.5 * ((fake - 1.0) ** 2).mean()
    if loss in ("wasserstein", "hinge"):
        return -fake.mean()
    raise ValueError(loss)


def d_score(loss: str, out: torch.Tensor) -> float:
    """Mean D output as logged: a probability for bce and minimax, the raw output for the others."""
    return float((torch.sigmoid(out) if loss in ("bce", "minimax") else out).mean())


def d_accuracy(loss: str, real: torch.Tensor, fake: torch.Tensor) -> float:
    """The fraction of real samples D scores real and of fake ones it scores fake (both halves weighted
    alike). "Scored real": a logit > 0 (D(x) > 1/2) for bce and minimax; nearer the real target b=1 than
    the fake one a=0 for lsgan; > 0, the middle of the margins, for hinge; above the midpoint of the
    batch's mean real and fake outputs for wasserstein, whose critic has no fixed zero (adding a constant
    changes no loss)."""
    real, fake = real.detach().flatten().double(), fake.detach().flatten().double()
    if loss in ("bce", "minimax", "hinge"):
        cut = 0.0
    elif loss == "lsgan":
        cut = 0.5
    elif loss == "wasserstein":
        cut = float(real.mean() + fake.mean()) / 2
    else:
        raise ValueError(loss)
    return 0.5 * float((real > cut).double().mean() + (fake <= cut).double().mean())


def _same(x):
    return x


def gradient_penalty(
    D, real: torch.Tensor, fake: torch.Tensor, alpha: torch.Tensor, y=None, augment=_same
) -> torch.Tensor:
    """Gulrajani et al. 2017: E[(||grad D(x_hat)||_2 - 1)^2], x_hat on lines between real and fake
    (`augment`: what D is shown of x_hat; the gradient is taken at x_hat)."""
    shape = (-1,) + (1,) * (real.dim() - 1)
    x_hat = (alpha.view(shape) * real + (1 - alpha.view(shape)) * fake).requires_grad_(True)
    out = D(augment(x_hat), y)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1.0) ** 2).mean()


def l1_penalty(D) -> torch.Tensor:
    """sum |w| over every parameter of D (the `l1` option; `weight_decay` is the L2 one)."""
    return torch.stack([p.abs().sum() for p in D.parameters()]).sum()


def r1_penalty(D, real: torch.Tensor, y=None, augment=_same) -> torch.Tensor:
    """Mescheder et al. 2018: gamma/2 E[||grad D(x)||^2] on real data (the caller multiplies gamma/2).
    With an augmentation, D sees augment(x) and the gradient is taken at the un-augmented x, as
    StyleGAN2-ADA's loss.py does."""
    x = real.detach().requires_grad_(True)
    out = D(augment(x), y)
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    return grad.flatten(1).pow(2).sum(1).mean()
