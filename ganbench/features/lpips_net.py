"""LPIPS's network (Zhang et al. 2018, v0.1): an ImageNet backbone's ReLU features, unit-normalised
along channels, squared differences weighted by the learned 1x1 "lin" layers, averaged over space and
summed over the five layers, as the `lpips` package's LPIPS(net=..., version="0.1").

Weights, two parts, both through the resolver of features/weightfiles.py:
- the backbone: torchvision's AlexNet / VGG16 ImageNet files (official URL, sha256 pinned), or a file
  given with --lpips-weights (or GANBENCH_LPIPS_ALEX_WEIGHTS / _VGG_), or `ganbench fetch lpips-alex
  --from FILE`; "random" gives deterministic random weights of the exact feature architecture
  (offline trials and tests), reported NOT official;
- the linear layers: the v0.1 files the `lpips` wheel ships (sha256 pinned; `pip install lpips==0.1.4`
  or `ganbench fetch lpips-alex-lin --from lpips-0.1.4-py3-none-any.whl`).
Both load with torch.load(weights_only=True) or safetensors: nothing pickled runs.
"""

from __future__ import annotations

from pathlib import Path

from .. import cache
from ..errors import ChecksumError, GanbenchError
from . import statefiles, weightfiles
from .weightfiles import KnownFile, Weights, WeightsSpec

# torchvision's features module indices that end each LPIPS slice, and each slice's channels
SLICES = {"alex": (2, 5, 8, 10, 12), "vgg": (4, 9, 16, 23, 30)}
CHANNELS = {"alex": (64, 192, 384, 256, 256), "vgg": (64, 128, 256, 512, 512)}
SHIFT = (-0.030, -0.088, -0.188)  # lpips' ScalingLayer
SCALE = (0.458, 0.448, 0.450)
BACKBONE = {
    "alex": KnownFile(
        "7be5be791159472b1fbf3c69796f7cb30dca7ad8466c2df70058c37116cdee02",
        "alexnet-owt-7be5be79.pth",
        "torchvision",
        ("features",),
        urls=("https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",),
    ),
    "vgg": KnownFile(
        "397923af8e79cdbb6a7127f12361acd7a2f83e06b05044ddf496e83de57a5bf0",
        "vgg16-397923af.pth",
        "torchvision",
        ("features",),
        urls=("https://download.pytorch.org/models/vgg16-397923af.pth",),
    ),
}
LIN = {
    "alex": "df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0",
    "vgg": "a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868",
}
LPIPS_DIST = ("lpips", "0.1.4")


def backbone_spec(net: str) -> WeightsSpec:
    kf = BACKBONE[net]
    return WeightsSpec(
        extractor=f"lpips-{net}",
        what=f"LPIPS {net} backbone weights",
        option="--lpips-weights",
        env=f"GANBENCH_LPIPS_{net.upper()}_WEIGHTS",
        known=(kf,),
        hint=f"download {kf.urls[0]} elsewhere and run `ganbench fetch lpips-{net} --from FILE` once (a torch hub "
        f"cache holds it as ~/.cache/torch/hub/checkpoints/{kf.name}), or pass --lpips-weights random for "
        f"random weights (NOT official)",
    )


def lin_spec(net: str) -> WeightsSpec:
    member = f"lpips/weights/v0.1/{net}.pth"
    return WeightsSpec(
        extractor=f"lpips-{net}-lin",
        what=f"LPIPS {net} linear layers",
        option="--lpips-weights",
        env=f"GANBENCH_LPIPS_{net.upper()}_LIN",
        known=(
            KnownFile(
                LIN[net],
                f"{net}.pth",
                f"lpips {LPIPS_DIST[1]}",
                ("lin",),
                packaged=(LPIPS_DIST[0], member),
                member=member,
            ),
        ),
        hint=f"`pip install {'=='.join(LPIPS_DIST)}` (its wheel ships them), or `ganbench fetch lpips-{net}-lin "
        f"--from` its wheel",
    )


def resolve_backbone(net: str, given=None) -> Weights:
    if given == "random":
        path = random_backbone(net)
        return Weights(path, weightfiles.digest(path), expected="")
    return weightfiles.resolve(backbone_spec(net), given)


def random_backbone(net: str, seed: int = 0) -> Path:
    """Deterministic random weights of the backbone's feature layers (He-normal convolutions, small
    biases), in torchvision's key layout, written once into the cache as safetensors."""
    import torch
    from safetensors.torch import save_file

    path = weightfiles.weights_dir() / f"random-lpips-{net}-seed{seed}.safetensors"
    if path.is_file():
        return path
    g = torch.Generator().manual_seed(seed)
    state = {}
    for k, v in _features(net).state_dict().items():
        if k.endswith("weight"):
            state[k] = torch.randn(v.shape, generator=g) * (2.0 / v[0].numel()) ** 0.5
        else:
            state[k] = 0.01 * torch.randn(v.shape, generator=g)
    with cache.atomic_path(path) as tmp:
        save_file({f"features.{k}": t for k, t in state.items()}, str(tmp))
    return path


def _features(net: str):
    from .convnets import alexnet_features, vgg_features

    return alexnet_features() if net == "alex" else vgg_features("vgg16")


class LPIPS:
    """LPIPS distance of uint8 image pairs; `weights` / `lin` say which files it runs on."""

    def __init__(self, net: str = "alex", weights=None, device=None):
        import torch

        from ..device import pick_device

        if net not in SLICES:
            raise GanbenchError(f"-O lpips_net={net}: expected alex or vgg")
        self.net, self.device = net, pick_device(device)
        self.weights = resolve_backbone(net, weights)
        self.lin = weightfiles.resolve(lin_spec(net), download=False)
        if self.lin.official and weightfiles.digest(self.lin.path) != LIN[net]:  # the resolver trusts installed files
            raise ChecksumError(
                f"LPIPS {net} linear layers {self.lin.path} are not lpips {LPIPS_DIST[1]}'s (sha256 "
                f"{weightfiles.digest(self.lin.path)[:16]}...): reinstall lpips=={LPIPS_DIST[1]}"
            )
        features = _features(net)
        state = statefiles.load_state_dict(self.weights.path, f"LPIPS {net} backbone weights")
        want = {f"features.{k}": v.shape for k, v in features.state_dict().items()}
        wrong = [k for k, s in want.items() if k not in state or state[k].shape != s]
        if wrong:
            raise GanbenchError(
                f"{self.weights.path} is not torchvision's {net} ({wrong[0]} missing or of another "
                f"shape): pass {BACKBONE[net].name}"
            )
        features.load_state_dict({k[len("features.") :]: state[k] for k in want})
        for m in features.modules():
            if isinstance(m, torch.nn.ReLU):
                m.inplace = False
        ends = SLICES[net]
        self.slices = [features[a:b].eval().to(self.device) for a, b in zip((0,) + ends[:-1], ends)]
        lin = statefiles.load_state_dict(self.lin.path, f"LPIPS {net} linear layers")
        self.lins = [lin[f"lin{i}.model.1.weight"].float().to(self.device) for i in range(5)]
        if [w.shape[1] for w in self.lins] != list(CHANNELS[net]):
            raise GanbenchError(f"{self.lin.path} are not LPIPS {net}'s linear layers: reinstall lpips")
        self.shift = torch.tensor(SHIFT).view(1, 3, 1, 1).to(self.device)
        self.scale = torch.tensor(SCALE).view(1, 3, 1, 1).to(self.device)

    @property
    def official(self) -> bool:
        return self.weights.official and self.lin.official

    def describe(self) -> dict:
        return {
            "net": self.net,
            "version": "0.1",
            "official": self.official,
            "backbone": self.weights.describe(),
            "lin": self.lin.describe(),
        }

    def distance(self, a, b):
        """(N,) LPIPS of float tensors (N,3,H,W) in [-1, 1]."""
        import torch

        with torch.inference_mode():
            x, y = (a - self.shift) / self.scale, (b - self.shift) / self.scale
            terms = []
            for block, w in zip(self.slices, self.lins):
                x, y = block(x), block(y)
                nx = x / (x.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
                ny = y / (y.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
                terms.append(torch.nn.functional.conv2d((nx - ny) ** 2, w).mean((2, 3)))
            total = terms[0]
            for t in terms[1:]:
                total = total + t
            return total.view(-1)

    def __call__(self, outputs, targets):
        """(N,) float64 LPIPS of uint8 (N,H,W,3) arrays."""
        import numpy as np
        import torch

        def tensor(im):
            return torch.from_numpy(np.asarray(im)).to(self.device).permute(0, 3, 1, 2).float() / 127.5 - 1.0

        return self.distance(tensor(outputs), tensor(targets)).double().cpu().numpy()
