"""Reference GAN architectures, one module per architecture, and the baselines built from them.

ARCHITECTURES: architecture name -> `Architecture` (how to build G and D, the reference it equals).
BASELINES: baseline name -> its definition in the top-level `baselines/` folder (a TOML file: the
architecture, loss, every hyper-parameter and the source; see `ganbench.baselines.configs`).
"""

from __future__ import annotations

from typing import List

from ..registry import Registry
from .base import Architecture, Critic
from .cnn import CNN32
from .configs import BASELINES, baseline_config, baselines_dir
from .dcgan import DCGAN32
from .layers import apply_spectral_norm, count_params
from .resnet import SNGAN_RESNET32, WGANGP_RESNET32
from .toy import CONV8, MLP2D, MLP2D_WIDE

ARCHITECTURES: Registry[Architecture] = Registry("architecture")
for _a in (DCGAN32, CNN32, SNGAN_RESNET32, WGANGP_RESNET32, MLP2D, MLP2D_WIDE, CONV8):
    ARCHITECTURES.add(_a.name, _a)


def list_baselines() -> List[str]:
    return BASELINES.names()


__all__ = ["ARCHITECTURES", "BASELINES", "Architecture", "Critic", "apply_spectral_norm", "baseline_config",
           "baselines_dir", "count_params", "list_baselines"]
