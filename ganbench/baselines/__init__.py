"""Reference GAN architectures, one module per architecture, and the baselines built from them.

ARCHITECTURES: architecture name -> `Architecture` (how to build G and D, the reference it equals).
BASELINES: baseline name -> its definition in the top-level `baselines/` folder (a TOML file: the
architecture, loss, every hyper-parameter and the source; see `ganbench.baselines.configs`).
"""

from __future__ import annotations

from typing import List

from .configs import BASELINES, baseline_config, baselines_dir

_TORCH = {"Architecture": "base", "Critic": "base", "apply_spectral_norm": "layers", "count_params": "layers"}


def _architectures():
    from ..registry import Registry
    from .base import Architecture
    from .biggan import BIGGAN32
    from .cgan_pd import CGANPD_RESNET32
    from .cnn import CNN32, CNN32_SMALL
    from .cyclegan import CYCLEGAN32, CYCLEGAN32_SMALL
    from .dcgan import DCGAN32, DCGAN32_SMALL
    from .pix2pix import PIX2PIX32, PIX2PIX32_LAB, PIX2PIX32_SMALL, PIX2PIX32_SMALL_LAB
    from .resnet import SNGAN_RESNET32, WGANGP_RESNET32
    from .srresnet import SRRESNET_SMALL_X2, SRRESNET_SMALL_X4, SRRESNET_X2, SRRESNET_X4
    from .stylegan2 import STYLEGAN2_CIFAR, STYLEGAN2_SMALL
    from .toy import CONV8, MLP2D, MLP2D_DEEP, MLP2D_WIDE
    from .wgan import WGAN_DCGAN32

    archs: Registry[Architecture] = Registry("architecture")
    for a in (
        DCGAN32,
        DCGAN32_SMALL,
        CNN32,
        CNN32_SMALL,
        SNGAN_RESNET32,
        WGANGP_RESNET32,
        CGANPD_RESNET32,
        BIGGAN32,
        STYLEGAN2_CIFAR,
        STYLEGAN2_SMALL,
        MLP2D,
        MLP2D_WIDE,
        MLP2D_DEEP,
        CONV8,
        PIX2PIX32,
        PIX2PIX32_SMALL,
        PIX2PIX32_LAB,
        PIX2PIX32_SMALL_LAB,
        WGAN_DCGAN32,
        SRRESNET_X2,
        SRRESNET_X4,
        SRRESNET_SMALL_X2,
        SRRESNET_SMALL_X4,
        CYCLEGAN32,
        CYCLEGAN32_SMALL,
    ):
        archs.add(a.name, a)
    return archs


def __getattr__(name):
    """The model code (torch) loads on first use, so the baselines' configs can be listed without it."""
    if name == "ARCHITECTURES":
        value = _architectures()
    elif name in _TORCH:
        from importlib import import_module

        value = getattr(import_module(f"{__name__}.{_TORCH[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def list_baselines() -> List[str]:
    return BASELINES.names()


__all__ = [
    "ARCHITECTURES",
    "BASELINES",
    "Architecture",
    "Critic",
    "apply_spectral_norm",
    "baseline_config",
    "baselines_dir",
    "count_params",
    "list_baselines",
]
