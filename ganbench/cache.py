"""Cache directory, content hashing and atomic writes shared by every cached artefact."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import Iterator, Optional

CHUNK = 1 << 20


def home() -> Path:
    """GANBENCH_HOME, or the platform's user cache dir."""
    env = os.environ.get("GANBENCH_HOME")
    if env:
        return Path(env).expanduser()
    try:
        import platformdirs

        return Path(platformdirs.user_cache_dir("ganbench"))
    except ImportError:  # pragma: no cover - platformdirs is a dependency
        return Path.home() / ".cache" / "ganbench"


def file_digest(path, algo: str = "sha256") -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def options_key(**options) -> str:
    """A stable short hash of every option that changes a cached result."""
    blob = json.dumps(options, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:20]


PART_SUFFIX = ".part"
STALE_SECONDS = 24 * 3600  # a .part file this old is abandoned whoever wrote it


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _part_prefix(dest: Path) -> str:
    return f".{dest.name}.ganbench-"


def _host() -> str:
    return socket.gethostname().replace("-", "_")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's live process
    return True


def clean_stale_parts(dest: Path) -> int:
    """Remove temporary files a killed writer of `dest` left behind; only ganbench's own naming
    (.NAME.ganbench-HOST-PID-XXXX.part), only when that process is gone (same host) or the file
    is a day old (any host, e.g. on a shared file system). Returns how many were removed."""
    removed = 0
    host = _host()
    prefix = _part_prefix(dest)
    try:
        entries = list(os.scandir(dest.parent))
    except OSError:
        return 0
    for e in entries:
        if not (e.name.startswith(prefix) and e.name.endswith(PART_SUFFIX)):
            continue
        fields = e.name[len(prefix):-len(PART_SUFFIX)].rsplit("-", 2)  # host, pid, random
        try:
            age = time.time() - e.stat(follow_symlinks=False).st_mtime
            pid = int(fields[1]) if len(fields) == 3 else None
        except (OSError, ValueError):
            continue
        same_host = len(fields) == 3 and fields[0] == host
        if age > STALE_SECONDS or (same_host and pid is not None and pid != os.getpid() and not _alive(pid)):
            try:
                os.unlink(e.path)
                removed += 1
            except OSError:
                pass
    return removed


@contextlib.contextmanager
def atomic_path(dest) -> Iterator[Path]:
    """Yield a temporary path beside `dest`; move it into place only if the block succeeds.

    Readers never see a half-written file, and a failure leaves nothing behind. The file gets the
    permissions of any other new file (0666 less the umask; mkstemp alone gives 0600), and stale
    temporary files of earlier writers that were killed are removed first.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_parts(dest)
    fd, tmp = tempfile.mkstemp(prefix=f"{_part_prefix(dest)}{_host()}-{os.getpid()}-", suffix=PART_SUFFIX,
                               dir=dest.parent)
    os.fchmod(fd, 0o666 & ~_umask())
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def check_writable(path, what: str, fix: str) -> Path:
    """Refuse early, before any expensive work, an output file that cannot be written."""
    from .errors import GanbenchError

    path = Path(path).expanduser()
    if path.is_dir():
        raise GanbenchError(f"cannot write {what} {path}: it is a folder; {fix}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".ganbench-probe-", dir=path.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise GanbenchError(f"cannot write {what} {path}: {e.strerror or e}; {fix}") from None
    return path


def cache_writable() -> Optional[str]:
    """None when the cache folder can be written, else why not (for a one-line warning)."""
    folder = home() / "features"
    try:
        check_writable(folder / "probe", "", "")
    except Exception as e:  # noqa: BLE001 - GanbenchError with the reason
        reason = str(e).split(": ", 1)[-1].rstrip("; ")
        return f"the cache folder {folder} cannot be written ({reason})"
    return None
