"""Finding, verifying and safely loading the FID Inception weights.

Resolution order: an explicit path (``--weights``), ``GANBENCH_INCEPTION_WEIGHTS``, the cache,
then the official download. The official file is the TF 2015-12-05 Inception converted by
pytorch-fid (torch-fidelity ships the same bytes). Any other file may be used (for tests or
research) but is reported as not official in every output.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .. import cache
from ..errors import ChecksumError, GanbenchError

FILENAME = "pt_inception-2015-12-05-6726825d.pth"
OFFICIAL_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
OFFICIAL_URLS = (
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth",
    "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth",
)
ENV = "GANBENCH_INCEPTION_WEIGHTS"


@dataclass(frozen=True)
class Weights:
    """A weights file by its sha256, and whether that is the extractor's official one."""

    path: Path
    sha256: str
    expected: Optional[str] = None  # the official sha256; None: Inception's; "": none is pinned

    @property
    def official(self) -> bool:
        return self.sha256 == (OFFICIAL_SHA256 if self.expected is None else self.expected)

    def describe(self) -> dict:
        return {"path": str(self.path), "sha256": self.sha256, "official": self.official}


@functools.lru_cache(maxsize=8)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    return cache.file_digest(path, "sha256")


def _inspect(path: Path, origin: str) -> Weights:
    if not path.is_file():
        raise GanbenchError(f"Inception weights {path} (from {origin}) do not exist: pass an existing file")
    st = path.stat()
    sha = _digest(str(path), st.st_size, st.st_mtime_ns)
    # A file that claims to be the official one by name must be it: otherwise it is corrupt.
    if "6726825d" in path.name and sha != OFFICIAL_SHA256:
        raise ChecksumError(
            f"Inception weights {path} are corrupted: sha256 {sha[:16]}... is not the official "
            f"{OFFICIAL_SHA256[:16]}...; delete the file and download it again"
        )
    return Weights(path.resolve(), sha)


def cached_weights_path() -> Path:
    return cache.home() / "weights" / FILENAME


def resolve_weights(weights: Optional[os.PathLike | str] = None, download: bool = True) -> Weights:
    if weights:
        return _inspect(Path(weights).expanduser(), "--weights")
    if os.environ.get(ENV):
        return _inspect(Path(os.environ[ENV]).expanduser(), ENV)
    dest = cached_weights_path()
    if dest.exists():
        return _inspect(dest, "the cache")
    if not download:
        raise GanbenchError(f"no Inception weights at {dest}: {GET_WEIGHTS}")
    return _download_official(dest)


def _download_official(dest: Path) -> Weights:
    from ..inputs.download import download as fetch

    last = None
    for url in OFFICIAL_URLS:
        try:
            fetch(url, dest, sha256=OFFICIAL_SHA256, desc="Inception weights")
            return _inspect(dest, "the cache")
        except ChecksumError:
            raise
        except GanbenchError as e:  # try the mirror; keep the reason, not download()'s own advice
            last = str(e).split("; ")[0]
    raise GanbenchError(f"could not download the Inception weights ({last}); on a machine with internet access "
                        f"{GET_WEIGHTS}")


GET_WEIGHTS = (f"download {FILENAME} from {OFFICIAL_URLS[0]} (or the mirror {OFFICIAL_URLS[1]}) and run "
               f"`ganbench fetch inception --from FILE` once (or pass the file with --weights FILE each time)")
TORCH_FIDELITY_NAME = "weights-inception-2015-12-05-6726825d.pth"  # the same bytes under torch-fidelity's name


def import_weights(from_path) -> Path:
    """Copy the official weights file (or a folder holding it) into the cache after checking its sha256."""
    from ..inputs.download import copy_verified

    src = Path(from_path).expanduser()
    if src.is_dir():
        found = [src / n for n in (FILENAME, TORCH_FIDELITY_NAME) if (src / n).is_file()]
        if not found:
            raise GanbenchError(f"{from_path} is a folder without {FILENAME}: pass the weights file itself")
        src = found[0]
    elif not src.is_file():
        raise GanbenchError(f"no such file: {from_path}: pass the downloaded {FILENAME}")
    return copy_verified(src, cached_weights_path(), sha256=OFFICIAL_SHA256)


def fetch_weights() -> Path:
    """The official weights in the cache, downloaded (sha256-checked) if they are not there yet."""
    dest = cached_weights_path()
    if dest.exists():
        return _inspect(dest, "the cache").path
    return _download_official(dest).path


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
            return ("it is a pickle that holds Python objects besides tensors, which ganbench refuses to load "
                    "(it never unpickles code)")
        return f"it is a damaged or truncated PyTorch file ({type(error).__name__})"
    try:
        head.decode("utf-8")
        return "it is a text file, not a PyTorch weights file (an HTML error page saved by a failed download?)"
    except UnicodeDecodeError:
        return "it is neither a PyTorch (.pth) nor a safetensors file"


def load_state_dict(w: Weights) -> dict:
    """Load without executing pickled code, and check every key and shape before use."""
    import torch

    from .inception import reference_state_dict_keys

    try:
        if w.path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(w.path))
        else:
            state = torch.load(w.path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any failure here means a bad file
        raise GanbenchError(f"cannot load Inception weights {w.path}: {_what_went_wrong(w.path, e)}; "
                            f"{GET_WEIGHTS}") from None
    if not isinstance(state, dict):
        raise GanbenchError(f"Inception weights {w.path} hold no state dict; pass a valid weights file")
    expected = reference_state_dict_keys()
    missing = sorted(set(expected) - set(state))
    wrong = [k for k in expected if k in state and tuple(state[k].shape) != expected[k]]
    if missing or wrong:
        what = f"missing {missing[:3]}" if missing else f"wrong shapes for {wrong[:3]}"
        raise GanbenchError(f"{w.path} is not an FID Inception-v3 weights file ({what}); "
                            "pass pt_inception-2015-12-05-6726825d.pth")
    return {k: state[k] for k in expected}
