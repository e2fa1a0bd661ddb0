"""SRGAN's content network: VGG19 (torchvision's layout) up to relu5_4, "phi_5,4" of Ledig et al. 2017
(the 4th convolution's activation before the 5th max-pool; torchvision's features[:36]).

Weights, as the other backbones (features/lpips_net.py): torchvision's ImageNet file vgg19-dcbb9e9d.pth
(https://download.pytorch.org/models/vgg19-dcbb9e9d.pth), found as --set vgg_weights=FILE, in ganbench's
weights cache or in torch hub's cache; it is official when its sha256 begins with dcbb9e9d, the prefix
torchvision names it by and torch.hub's check_hash verifies (the full digest could not be read from this
machine, so only the prefix is pinned). "random" gives deterministic random weights of the same layers
(offline runs and tests): the run's record then says NOT official, and its perceptual loss is not the
paper's. Files load with torch.load(weights_only=True) or safetensors: nothing pickled runs."""

from __future__ import annotations

from pathlib import Path
from typing import Tuple

import torch

from ..errors import GanbenchError

NAME = "vgg19-dcbb9e9d.pth"
PREFIX = "dcbb9e9d"
URL = "https://download.pytorch.org/models/" + NAME
END = 36  # features[:36]: conv5_4 (34) and its ReLU (35)
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)  # ImageNet, as torchvision's VGG expects
RESCALE = 1 / 12.75  # the paper's: "VGG losses ... rescaled by 1/12.75" (features scaled before the MSE)


def _layers() -> torch.nn.Sequential:
    from ..features.convnets import vgg_features

    return vgg_features("vgg19")[:END]


def _find() -> Path:
    from ..features.weightfiles import weights_dir

    for place in (weights_dir() / NAME, Path(torch.hub.get_dir()) / "checkpoints" / NAME):
        if place.is_file():
            return place
    raise GanbenchError(
        f"no VGG19 weights ({NAME}) in {weights_dir()} or torch hub's cache: download {URL} "
        f"elsewhere and pass --set vgg_weights=FILE, or --set vgg_weights=random (NOT official)"
    )


def load(weights: str = "", device="cpu") -> Tuple[torch.nn.Module, dict]:
    """(frozen VGG19 features[:36] in eval mode, {"weights", "sha256", "official"})."""
    from ..features.weightfiles import digest

    net = _layers()
    if weights == "random":
        g = torch.Generator().manual_seed(0)
        with torch.no_grad():
            for m in net.modules():
                if isinstance(m, torch.nn.Conv2d):
                    m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2.0 / m.weight[0].numel()) ** 0.5)
                    if m.bias is not None:  # VGG's convolutions all have one
                        m.bias.zero_()
        info = {"weights": "random", "sha256": "", "official": False}
    else:
        path = Path(weights).expanduser() if weights else _find()
        if not path.is_file():
            raise GanbenchError(f"--set vgg_weights={weights}: no such file; pass torchvision's {NAME} or random")
        from ..features.statefiles import load_state_dict

        state = load_state_dict(path, "VGG19 weights", f"pass torchvision's {NAME} or a .safetensors file")
        want = net.state_dict()
        if not isinstance(state, dict) or any(
            f"features.{k}" not in state or state[f"features.{k}"].shape != v.shape for k, v in want.items()
        ):
            raise GanbenchError(f"{path} is not torchvision's VGG19 (features.N tensors of its shapes): pass {NAME}")
        net.load_state_dict({k: state[f"features.{k}"] for k in want})
        sha = digest(path)
        info = {"weights": str(path), "sha256": sha, "official": sha.startswith(PREFIX)}
    for m in net.modules():
        if isinstance(m, torch.nn.ReLU):
            m.inplace = False
    return net.to(device).eval().requires_grad_(False), info


def features(net: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """phi_5,4 of images in [-1, 1], ImageNet-normalised first, scaled by RESCALE."""
    mean = torch.tensor(MEAN, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    return net(((x + 1) / 2 - mean) / std) * RESCALE
