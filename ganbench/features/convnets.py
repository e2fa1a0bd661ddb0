"""The `.features` stacks of torchvision's AlexNet, VGG16 and VGG19 in plain torch: the same layers in the
same order, so torchvision's state dicts (`features.N.*`) load unchanged, without torchvision in the base
install (LPIPS's backbones, SRGAN's VGG loss). tests/test_convnets.py holds them against torchvision's."""

from __future__ import annotations

from typing import List

from torch import nn

_VGG = {
    "vgg16": (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    "vgg19": (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"),
}


def alexnet_features() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, kernel_size=5, padding=2),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, kernel_size=3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, kernel_size=3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(256, 256, kernel_size=3, padding=1),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(3, 2),
    )


def vgg_features(name: str) -> nn.Sequential:
    """`name`: vgg16 | vgg19 (configurations D and E of Simonyan & Zisserman, no batch norm)."""
    layers: List[nn.Module] = []
    channels = 3
    for v in _VGG[name]:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            assert isinstance(v, int)
            layers += [nn.Conv2d(channels, v, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            channels = v
    return nn.Sequential(*layers)
