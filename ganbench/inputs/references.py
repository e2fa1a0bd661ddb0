"""Named reference data sets (e.g. CIFAR-10 train), fetched into the cache with pinned checksums.

An `Archive` is one published file (URL, md5, how to parse it); a `Reference` is a named set of
images read from an archive.  Adding a data set is one `REFERENCES.add(...)` entry at the bottom.

Cache layout under `home()`:
    datasets/<archive filename>                     the verified archive, as published
    datasets/decoded/<reference>-<archive md5>.npy  decoded images, so later runs skip parsing

The archive URL of an entry can be overridden by the environment variable named in `url_env`
(GANBENCH_CIFAR10_URL for CIFAR-10).  It exists so tests can point at a loopback server; the md5
is still enforced, so a mirror cannot change what lands in the cache.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Mapping, Optional, Tuple

import numpy as np

from ..cache import atomic_path, home
from ..errors import GanbenchError
from ..registry import Registry
from . import cifar10
from .download import copy_verified, download, is_verified, verify_file
from .images import ArraySource


@dataclass
class Archive:
    """One published file.  `reader(path, members, member_md5)` returns (images NHWC uint8, labels)."""

    filename: str
    url: str
    md5: str
    reader: Callable[..., Tuple[np.ndarray, np.ndarray]]
    fetch_name: str  # what to type after `ganbench fetch`
    url_env: Optional[str] = None
    member_md5: Optional[Mapping[str, str]] = None
    folder: Optional[str] = None  # the folder the archive extracts to, importable instead of it
    folder_reader: Optional[Callable[..., Tuple[np.ndarray, np.ndarray]]] = None  # (folder, members, member_md5)

    def source_url(self) -> str:
        return (os.environ.get(self.url_env) if self.url_env else None) or self.url

    def path(self) -> Path:
        return home() / "datasets" / self.filename


@dataclass
class Reference:
    """A named reference image set: which members of which archive, and how many images."""

    name: str
    description: str
    archive: Archive
    members: Tuple[str, ...]
    count: int
    aliases: Tuple[str, ...] = ()


REFERENCES: Registry[Reference] = Registry("reference")


def get_reference(name: str) -> Reference:
    """The entry for `name` or an alias; GanbenchError listing the known names otherwise."""
    return REFERENCES.get(name)


def list_references() -> List[Reference]:
    """Every registered reference once (aliases folded), sorted by name."""
    unique = {id(ref): ref for _, ref in REFERENCES.items()}
    return sorted(unique.values(), key=lambda r: r.name)


def _hint(archive: Archive) -> str:
    return f"download {archive.url} elsewhere and import it with `ganbench fetch {archive.fetch_name} --from PATH`"


def fetch_archive(name: str, *, download_missing: bool = True) -> Path:
    """The verified archive behind reference `name` in the cache, downloading it if needed."""
    archive = get_reference(name).archive
    dest = archive.path()
    if is_verified(dest, md5=archive.md5):
        return dest
    if not download_missing:
        if dest.exists():
            verify_file(dest, md5=archive.md5)  # raises ChecksumError naming the damaged file
        raise GanbenchError(
            f"{archive.filename} is not in the cache ({dest}): run "
            f"`ganbench fetch {archive.fetch_name}`, or {_hint(archive)}"
        )
    return download(archive.source_url(), dest, md5=archive.md5, desc=archive.filename, offline_hint=_hint(archive))


def import_archive(name: str, from_path) -> Path:
    """Copy an archive obtained elsewhere into the cache after checking its md5; return the cached path.

    `from_path` may also be a folder holding the archive (e.g. a torchvision data root), or the folder
    the archive extracts to (e.g. cifar-10-batches-py/), whose files are each md5-checked and decoded
    into the cache (every reference read from that archive); then the decoded folder is returned.
    """
    archive = get_reference(name).archive
    src = Path(from_path).expanduser()
    if src.is_dir():
        extracted = _extracted_folder(archive, src)
        if extracted is not None:
            return _import_extracted(archive, extracted)
        if not (src / archive.filename).is_file():
            also = f" or the extracted {archive.folder}/ folder" if archive.folder else ""
            raise GanbenchError(
                f"{from_path} is a folder without {archive.filename}{also}: pass the archive "
                f"file itself ({archive.url})"
            )
        src = src / archive.filename
    elif not src.exists():
        raise GanbenchError(f"no such file: {from_path}: pass the downloaded {archive.filename}")
    dest = archive.path()
    if is_verified(dest, md5=archive.md5) and os.path.samefile(src, dest):
        return dest
    return copy_verified(src, dest, md5=archive.md5)


def _extracted_folder(archive: Archive, src: Path) -> Optional[Path]:
    if archive.folder is None or archive.folder_reader is None:
        return None
    for candidate in (src, src / archive.folder):
        if (candidate.name == archive.folder or (candidate / "batches.meta").is_file()) and candidate.is_dir():
            return candidate
    return None


def _import_extracted(archive: Archive, folder: Path) -> Path:
    """Decode every reference of `archive` from its extracted folder into the decoded cache."""
    refs = [ref for ref in list_references() if ref.archive is archive]
    reader = archive.folder_reader
    assert reader is not None  # _extracted_folder found the folder only for archives with a reader
    decoded = [reader(folder, ref.members, archive.member_md5)[0] for ref in refs]
    for ref, images in zip(refs, decoded):
        _check_count(ref, images, folder)
    for ref, images in zip(refs, decoded):  # written only once every file has verified
        _save_decoded(ref, images, folder)
    return _decoded_path(refs[0]).parent


def _check_count(ref: Reference, images: np.ndarray, where) -> None:
    if len(images) != ref.count:
        raise GanbenchError(
            f"{where} holds {len(images)} {ref.name} images, expected {ref.count}: delete it and fetch it again"
        )


def _save_decoded(ref: Reference, images: np.ndarray, where) -> None:
    _check_count(ref, images, where)
    with atomic_path(_decoded_path(ref)) as tmp, open(tmp, "wb") as f:
        np.save(f, images)  # a file object: np.save would append .npy to a path


def _decoded_path(ref: Reference) -> Path:
    return home() / "datasets" / "decoded" / f"{ref.name}-{ref.archive.md5}.npy"


def _load_decoded(ref: Reference) -> Optional[np.ndarray]:
    """The cached decoded images, or None when absent or not what the entry promises."""
    path = _decoded_path(ref)
    if not path.is_file():
        return None
    try:
        images = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError):
        return None  # damaged cache entry: decode again and overwrite it
    if images.dtype != np.uint8 or images.ndim != 4 or len(images) != ref.count or images.shape[-1] != 3:
        return None
    return images


def resolve_reference(name: str, *, download: bool = True) -> ArraySource:
    """An ImageSource over reference `name`'s images (fetching and decoding them on first use).

    Its content_hash is derived from the archive md5 and the members read, not from the pixels,
    so a 50,000-image reference is not hashed on every run.
    """
    ref = get_reference(name)
    images = _load_decoded(ref)
    if images is None:
        path = fetch_archive(ref.name, download_missing=download)
        images, _labels = ref.archive.reader(path, ref.members, ref.archive.member_md5)
        try:
            _save_decoded(ref, images, path)
        except OSError:
            pass  # a read-only cache only costs re-decoding next time
    members = list(ref.members)
    identity = f"ganbench-reference-v1:{ref.name}:md5={ref.archive.md5}:members={','.join(members)}"
    return ArraySource(
        images,
        kind="reference",
        path=None,
        where=f"reference {ref.name}",
        identity=identity,
        extra={
            "reference": ref.name,
            "archive": ref.archive.filename,
            "archive_md5": ref.archive.md5,
            "members": members,
        },
    )


# ------------------------------------------------------------------------------------ the entries

CIFAR10_ARCHIVE = Archive(
    filename=cifar10.ARCHIVE_FILENAME,
    url=cifar10.URL,
    md5=cifar10.ARCHIVE_MD5,
    reader=cifar10.read_split,
    fetch_name="cifar10",
    url_env="GANBENCH_CIFAR10_URL",
    member_md5=cifar10.MEMBER_MD5,
    folder=cifar10.FOLDER,
    folder_reader=cifar10.read_folder,
)

REFERENCES.add(
    "cifar10-train",
    Reference(
        "cifar10-train",
        "CIFAR-10 training set: 50,000 32×32 images, data_batch_1..5 in order",
        CIFAR10_ARCHIVE,
        cifar10.TRAIN_BATCHES,
        50_000,
        aliases=("cifar10",),
    ),
    "cifar10",
)
REFERENCES.add(
    "cifar10-test",
    Reference(
        "cifar10-test",
        "CIFAR-10 test set: 10,000 32×32 images, test_batch",
        CIFAR10_ARCHIVE,
        cifar10.TEST_BATCHES,
        10_000,
    ),
)
