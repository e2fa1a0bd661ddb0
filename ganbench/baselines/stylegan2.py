"""StyleGAN2 (Karras et al. 2020) at 32x32 as `--cfg=cifar` of NVlabs/stylegan2-ada-pytorch (commit
d72cc7d041b42ec8e806021a205ed9349f87c6a4, training/networks.py and train.py): a 2-layer mapping network
(lr multiplier 0.01, w_avg tracked with beta 0.995, truncation), a skip-architecture synthesis network of
modulated, demodulated convolutions with noise inputs, and the 'orig' discriminator (no residual
connections; 'resnet' is available too) with minibatch std (group 32) and, when conditional, the
projection of D's output on a mapping of the label (cmap). channel_base 32768, channel_max 512,
conv_clamp 256: every layer has 512 channels.

Module and parameter names equal the reference's, so its state dicts (and those of the official
pickles, read by something that does not unpickle code) load with `load_reference_state`.

Documented differences: (1) everything runs in float32: the cifar cfg's mixed precision (num_fp16_res=4)
is not reproduced; the reference's `force_fp32=True` path is what ganbench equals (benchmarks/reference/
stylegan2_fixture.py). (2) `update_emas` follows the later stylegan3 interface: w_avg moves only when a
call passes update_emas=True (stylegan2-ada updates it on every call in training mode unless told
skip_w_avg_update). (3) c may be integer class labels (one-hot encoded here) as well as the reference's
float one-hot rows. (4) random noise takes an optional torch.Generator, or a list of one per sample (`generator=` or the
synthesis network's `noise_generator` attribute), so training and sampling draw it from ganbench's seeded
streams; without one it is torch.randn from the global generator, in the reference's order."""

from __future__ import annotations

from functools import partial

from .base import Architecture
from .stylegan2_discriminator import Discriminator, DiscriminatorBlock, DiscriminatorEpilogue
from .stylegan2_generator import (
    Generator,
    MappingNetwork,
    SynthesisBlock,
    SynthesisLayer,
    SynthesisNetwork,
    ToRGBLayer,
)
from .stylegan2_layers import load_reference_state

# the networks live in stylegan2_generator.py and stylegan2_discriminator.py; load_reference_state (which
# tests and benchmarks/reference load the reference's state dicts with) in stylegan2_layers.py
__all__ = [
    "CIFAR",
    "Discriminator",
    "DiscriminatorBlock",
    "DiscriminatorEpilogue",
    "Generator",
    "MappingNetwork",
    "STYLEGAN2_CIFAR",
    "STYLEGAN2_SMALL",
    "SynthesisBlock",
    "SynthesisLayer",
    "SynthesisNetwork",
    "ToRGBLayer",
    "load_reference_state",
    "networks",
]

CIFAR = dict(channel_base=32768, channel_max=512, conv_clamp=256, map_layers=2)


def networks(
    z_dim: int,
    num_classes: int = 0,
    mbstd_group: int = 32,
    channel_base: int = 32768,
    channel_max: int = 512,
    architecture: str = "orig",
):
    """The cifar cfg's G and D (mbstd_group 0: no minibatch-std layer); smaller widths for CPU variants."""
    widths = dict(channel_base=channel_base, channel_max=channel_max)
    G = Generator(z_dim=z_dim, c_dim=num_classes, **widths)
    D = Discriminator(
        c_dim=num_classes,
        architecture=architecture,
        mbstd_group_size=mbstd_group or None,
        mbstd_num_channels=1 if mbstd_group else 0,
        **widths,
    )
    return G, D


STYLEGAN2_CIFAR = Architecture(
    "stylegan2-cifar",
    None,
    None,
    (3, 32, 32),
    networks=networks,
    bounded=False,
    reference="NVlabs/stylegan2-ada-pytorch@d72cc7d training/networks.py, train.py --cfg=cifar (map=2, D 'orig', "
    "channel_base 32768, channel_max 512, conv_clamp 256, mbstd group 32)",
)
# Width-reduced (32 channels at every resolution, the rest as the cifar cfg): a CPU-sized variant for tests
# and small-data boards, not the reference's network.
STYLEGAN2_SMALL = Architecture(
    "stylegan2-small",
    None,
    None,
    (3, 32, 32),
    networks=partial(networks, channel_base=1024, channel_max=32),
    bounded=False,
    reference="stylegan2-cifar with channel_base 1024, channel_max 32 (not a published network)",
)
