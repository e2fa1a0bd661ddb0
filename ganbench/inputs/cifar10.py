"""Safe reading of the official CIFAR-10 python archive (cifar-10-python.tar.gz).

Nothing is extracted: the needed members are read straight from the tar stream, and an archive
holding anything but plain files and folders under relative paths is refused outright.  The batches
are Python 2 pickles; they are parsed with an unpickler that can build numpy arrays and nothing
else, so a tampered file cannot run code.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import tarfile
import zlib
from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np

from ..errors import GanbenchError

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
ARCHIVE_FILENAME = "cifar-10-python.tar.gz"
ARCHIVE_MD5 = "c58f30108f718f92721af3b95e74349a"
FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCHES = ("test_batch",)
MEMBER_MD5 = {
    "test_batch": "40351d587109b95175f43aff81a1287e",
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
}


def _numpy_globals() -> Dict[Tuple[str, str], object]:
    """The only globals a pickled numpy array needs, under both numpy 1.x and 2.x module names."""
    import importlib

    try:  # numpy >= 2; importing numpy.core there only warns, so look the objects up directly
        multiarray = importlib.import_module("numpy._core.multiarray")
    except ImportError:  # pragma: no cover - numpy 1.x
        multiarray = importlib.import_module("numpy.core.multiarray")
    allowed: Dict[Tuple[str, str], object] = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(module, "_reconstruct")] = multiarray._reconstruct
        allowed[(module, "scalar")] = multiarray.scalar
    return allowed


class RestrictedUnpickler(pickle.Unpickler):
    """Builds dicts, lists, strings, numbers and numpy arrays; refuses every other global."""

    _allowed = _numpy_globals()

    def find_class(self, module: str, name: str):
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}") from None


def safe_loads(data: bytes, shown: str):
    """Unpickle `data` (a Python 2 pickle, strings decoded as bytes) with RestrictedUnpickler."""
    try:
        return RestrictedUnpickler(io.BytesIO(data), encoding="bytes").load()
    except Exception as e:  # damaged or hostile pickles fail in many ways
        raise GanbenchError(
            f"cannot read {shown}: not a plain CIFAR-10 batch ({e}); delete the archive and fetch it again"
        ) from None


def parse_batch(data: bytes, shown: str) -> Tuple[np.ndarray, np.ndarray]:
    """One batch pickle -> (N,32,32,3) uint8 RGB images and (N,) uint8 labels."""
    batch = safe_loads(data, shown)
    pixels = batch.get(b"data") if isinstance(batch, dict) else None
    labels = batch.get(b"labels") if isinstance(batch, dict) else None
    if (
        not isinstance(pixels, np.ndarray)
        or pixels.dtype != np.uint8
        or pixels.ndim != 2
        or pixels.shape[1] != 3072
        or labels is None
        or len(labels) != len(pixels)
    ):
        raise GanbenchError(
            f"cannot read {shown}: not a CIFAR-10 batch (expected b'data' uint8 N×3072 "
            f"and N b'labels'); delete the archive and fetch it again"
        )
    # Each row is the R plane, then G, then B, each 32×32 row-major.
    images = np.ascontiguousarray(pixels.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu" or (labels.size and (labels.min() < 0 or labels.max() > 255)):
        raise GanbenchError(
            f"cannot read {shown}: labels are not small integers; delete the archive and fetch it again"
        )
    return images, labels.astype(np.uint8)


def _check_member(member: tarfile.TarInfo, shown: str) -> None:
    """Refuse anything that could escape a target folder or is not plain data."""
    name = member.name
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts:
        raise GanbenchError(
            f"refusing {shown}: member {name!r} points outside the archive folder; "
            f"the archive is not the official one: delete it and fetch it again"
        )
    if not (member.isfile() or member.isdir()):
        raise GanbenchError(
            f"refusing {shown}: member {name!r} is a link or special file; "
            f"the archive is not the official one: delete it and fetch it again"
        )


def read_split(
    archive, members: Sequence[str], member_md5: Optional[Mapping[str, str]] = None
) -> Tuple[np.ndarray, np.ndarray]:
    """Images and labels of the batches `members` (e.g. TRAIN_BATCHES), concatenated in that order.

    Reads the tar stream once without extracting; every member is checked as it goes by.
    `member_md5` (e.g. MEMBER_MD5) additionally pins each batch's bytes.
    """
    archive = Path(archive)
    shown = str(archive)
    wanted = {f"{FOLDER}/{m}": m for m in members}
    found: Dict[str, Tuple[np.ndarray, np.ndarray]] = {}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                _check_member(member, shown)
                name = member.name[2:] if member.name.startswith("./") else member.name
                if name not in wanted:
                    continue
                if not member.isfile():
                    raise GanbenchError(f"refusing {shown}: member {name!r} is not a regular file")
                handle = tar.extractfile(member)
                assert handle is not None  # a regular file, checked above
                data = handle.read()
                batch = wanted[name]
                where = f"{shown} member {name}"
                if member_md5 and batch in member_md5:
                    got = hashlib.md5(data).hexdigest()
                    if got != member_md5[batch]:
                        raise GanbenchError(
                            f"cannot read {where}: md5 {got}, expected {member_md5[batch]}; "
                            f"delete the archive and fetch it again"
                        )
                found[batch] = parse_batch(data, where)
    except GanbenchError:
        raise
    except (tarfile.TarError, OSError, EOFError, zlib.error) as e:  # damaged or truncated gzip
        raise GanbenchError(f"cannot read {shown}: {e}; delete it and fetch it again") from None
    missing = [m for m in members if m not in found]
    if missing:
        raise GanbenchError(
            f"{shown} has no {FOLDER}/{missing[0]}: is it the CIFAR-10 python archive ({ARCHIVE_FILENAME})?"
        )
    images = np.concatenate([found[m][0] for m in members])
    labels = np.concatenate([found[m][1] for m in members])
    return images, labels


def read_folder(
    folder, members: Sequence[str], member_md5: Optional[Mapping[str, str]] = None
) -> Tuple[np.ndarray, np.ndarray]:
    """The same as `read_split`, from an extracted cifar-10-batches-py folder; each batch is md5-checked
    against `member_md5` before it is parsed."""
    from .download import verify_file

    folder = Path(folder)
    parts = []
    for m in members:
        path = folder / m
        if not path.is_file():
            raise GanbenchError(f"{folder} has no {m}: pass the complete extracted {FOLDER} folder")
        if member_md5 is None or m not in member_md5:
            raise GanbenchError(f"cannot verify {path}: no pinned md5 for it; import the archive instead")
        verify_file(path, md5=member_md5[m])
        parts.append(parse_batch(path.read_bytes(), str(path)))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
