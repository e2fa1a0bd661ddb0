"""Downloads into the cache, checksum-pinned: a file is only ever moved into place once it verifies.

Every download must name at least one checksum (md5, sha256, or a sha256 prefix as torch hub file
names carry), so what lands in the cache is always what was published.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, Optional

from ..cache import CHUNK, atomic_path
from ..errors import ChecksumError, GanbenchError
from ..progress import bar


class _Hashes:
    """The hashes needed to check the given expectations, fed while streaming."""

    def __init__(self, md5: Optional[str], sha256: Optional[str], sha256_prefix: Optional[str]):
        self.expected: Dict[str, str] = {}
        if md5:
            self.expected["md5"] = md5.lower()
        if sha256:
            self.expected["sha256"] = sha256.lower()
        if sha256_prefix:
            self.expected["sha256_prefix"] = sha256_prefix.lower()
        if not self.expected:
            raise ValueError("a checksum (md5, sha256 or sha256_prefix) is required")
        algos = {"md5"} if md5 else set()
        if sha256 or sha256_prefix:
            algos.add("sha256")
        self._h = {a: hashlib.new(a) for a in sorted(algos)}

    def update(self, chunk: bytes) -> None:
        for h in self._h.values():
            h.update(chunk)

    def mismatch(self) -> Optional[str]:
        """None if everything matches, else 'expected ..., got ...'."""
        got = {a: h.hexdigest() for a, h in self._h.items()}
        for what, want in self.expected.items():
            have = got["sha256"] if what == "sha256_prefix" else got[what]
            ok = have.startswith(want) if what == "sha256_prefix" else have == want
            if not ok:
                label = "sha256 starting with" if what == "sha256_prefix" else what
                algo = "sha256" if what == "sha256_prefix" else what
                return f"expected {label} {want}, got {algo} {have}"
        return None


def _matches(path: Path, hashes: _Hashes) -> Optional[str]:
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            hashes.update(chunk)
    return hashes.mismatch()


def verify_file(
    path, *, md5: Optional[str] = None, sha256: Optional[str] = None, sha256_prefix: Optional[str] = None
) -> Path:
    """Return `path` if it matches every given checksum; ChecksumError (naming it) otherwise."""
    path = Path(path)
    hashes = _Hashes(md5, sha256, sha256_prefix)
    try:
        problem = _matches(path, hashes)
    except OSError as e:
        raise GanbenchError(f"cannot read {path}: {e.strerror or e}") from None
    if problem:
        raise ChecksumError(
            f"checksum mismatch for {path}: {problem}; the file is damaged or not the "
            f"published one: delete it and fetch it again"
        )
    return path


def is_verified(
    path, *, md5: Optional[str] = None, sha256: Optional[str] = None, sha256_prefix: Optional[str] = None
) -> bool:
    """True if `path` exists and matches every given checksum."""
    path = Path(path)
    if not path.is_file():
        return False
    try:
        return _matches(path, _Hashes(md5, sha256, sha256_prefix)) is None
    except OSError:
        return False


def copy_verified(
    src,
    dest,
    *,
    md5: Optional[str] = None,
    sha256: Optional[str] = None,
    sha256_prefix: Optional[str] = None,
    label: Optional[str] = None,
    fix: str = "",
) -> Path:
    """Copy `src` (a path, or an open binary stream such as a zip member, named by `label`) to `dest`
    atomically, checking the checksum on the bytes copied (one read of `src`); `fix` ends a mismatch's
    message."""
    dest = Path(dest)
    hashes = _Hashes(md5, sha256, sha256_prefix)
    is_path = isinstance(src, (str, os.PathLike))
    if is_path and not Path(src).is_file():
        raise GanbenchError(f"no such file: {src}: check the path")
    label = label or str(src)
    try:
        with (
            atomic_path(dest) as tmp,
            open(src, "rb") if is_path else contextlib.nullcontext(src) as fin,
            open(tmp, "wb") as fout,
        ):
            for chunk in iter(lambda: fin.read(CHUNK), b""):
                hashes.update(chunk)
                fout.write(chunk)
            fout.flush()
            problem = hashes.mismatch()
            if problem:  # raising inside atomic_path discards the copy
                raise ChecksumError(
                    f"checksum mismatch for {label}: {problem}; it is not the published "
                    f"file, so it was not imported" + (f": {fix}" if fix else "")
                )
    except OSError as e:
        raise GanbenchError(
            f"cannot copy {label} to {dest}: {e.strerror or e}; free some space or set "
            f"GANBENCH_HOME to a writable folder"
        ) from None
    return dest


def download(
    url: str,
    dest,
    *,
    md5: Optional[str] = None,
    sha256: Optional[str] = None,
    sha256_prefix: Optional[str] = None,
    desc: Optional[str] = None,
    offline_hint: Optional[str] = None,
    timeout: float = 60.0,
) -> Path:
    """Download `url` to `dest` unless `dest` already verifies; return `dest`.

    Streams into a temporary file beside `dest`, hashing as it goes, and moves it into place only
    after the checksum matches: a failed or mismatched download leaves nothing behind.
    `offline_hint` tells the user how to supply the file by hand (e.g. `ganbench fetch NAME --from PATH`).
    """
    dest = Path(dest)
    if is_verified(dest, md5=md5, sha256=sha256, sha256_prefix=sha256_prefix):
        return dest
    hashes = _Hashes(md5, sha256, sha256_prefix)
    hint = offline_hint or f"download it on a machine with internet access and place it at {dest}"
    if not url.lower().startswith(("http://", "https://")):
        raise GanbenchError(f"cannot download {url}: only http(s) URLs are supported; {hint}")
    try:
        with atomic_path(dest) as tmp:
            with open(tmp, "wb") as out:
                _stream(url, out, hashes, desc or dest.name, dest, hint, timeout)
            problem = hashes.mismatch()
            if problem:  # checked before atomic_path moves the file into place
                raise ChecksumError(
                    f"checksum mismatch for {dest.name} downloaded from {url}: {problem}; "
                    f"the download was discarded: retry later, or {hint}"
                )
    except OSError as e:  # the cache folder, not the network (network errors are handled in _stream)
        raise GanbenchError(
            f"cannot write {dest}: {e.strerror or e}; free some space or set GANBENCH_HOME to a writable folder"
        ) from None
    return dest


def _stream(url: str, out, hashes: _Hashes, desc: str, dest: Path, hint: str, timeout: float) -> None:
    """Copy the response body into `out`, hashing it; network problems become GanbenchError."""
    request = urllib.request.Request(url, headers={"User-Agent": "ganbench"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            total = response.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else None
            received = 0
            with bar(total=total, desc=desc, unit="B") as progress:
                progress.unit_scale, progress.unit_divisor = True, 1024  # show MB, not raw bytes
                for chunk in iter(lambda: response.read(CHUNK), b""):
                    hashes.update(chunk)
                    try:
                        out.write(chunk)
                    except OSError as e:
                        raise GanbenchError(
                            f"cannot write {dest}: {e.strerror or e}; free some space or "
                            f"set GANBENCH_HOME to a writable folder"
                        ) from None
                    received += len(chunk)
                    progress.update(len(chunk))
    except urllib.error.HTTPError as e:
        raise GanbenchError(f"cannot download {url}: the server answered HTTP {e.code} {e.reason}; {hint}") from None
    except (OSError, http.client.HTTPException) as e:  # URLError, timeouts, resets, short reads
        reason = getattr(e, "reason", None) or e
        raise GanbenchError(f"cannot download {url}: {reason} (the machine may be offline); {hint}") from None
    if total is not None and received < total:
        raise GanbenchError(
            f"cannot download {url}: the connection closed after {received} of "
            f"{total} bytes (the machine may be offline); {hint}"
        )


__all__ = ["download", "verify_file", "is_verified", "copy_verified"]
