"""Cache directory, content hashing and atomic writes shared by every cached artefact."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import Iterator, Optional

from .errors import GanbenchError

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
        fields = e.name[len(prefix) : -len(PART_SUFFIX)].rsplit("-", 2)  # host, pid, random
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


# Called as hook(dest, tmp) before each write is committed (tmp is None for an appended line); the
# fault-injection tests (ganbench.faults) make the k-th write fail here.
WRITE_HOOKS: list = []
STORAGE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.EFBIG)


def _run_hooks(dest: Path, tmp: Optional[Path]) -> None:
    for hook in list(WRITE_HOOKS):
        hook(dest, tmp)


def free_bytes(folder: Path) -> Optional[int]:
    import shutil

    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


class WriteFailed(OSError, GanbenchError):
    """A write the disk refused: an OSError (callers that catch OSError still do) that is also a
    GanbenchError, so one that escapes prints as one line naming the file."""

    message = ""

    def __str__(self):
        return self.message


def _write_failed(dest: Path, e: OSError) -> OSError:
    free = free_bytes(dest.parent)
    room = f" ({free:,} bytes free there)" if free is not None else ""
    err = WriteFailed(e.errno, e.strerror)
    err.filename = str(dest)
    err.message = f"cannot write {dest}: {e.strerror or e}{room}; free space (or fix the disk), then run again"
    return err


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
    fd, tmp = tempfile.mkstemp(
        prefix=f"{_part_prefix(dest)}{_host()}-{os.getpid()}-", suffix=PART_SUFFIX, dir=dest.parent
    )
    os.fchmod(fd, 0o666 & ~_umask())
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        _run_hooks(dest, tmp_path)
        os.replace(tmp_path, dest)
    except OSError as e:
        if e.errno not in STORAGE_ERRNOS or isinstance(e, WriteFailed):
            raise
        raise _write_failed(dest, e) from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def append_line(path, line: str) -> None:
    """Append one line in one write; a failed write is cut back off, so readers never see half a line."""
    path = Path(path)
    data = (line.rstrip("\n") + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        size = os.fstat(fd).st_size
        try:
            _run_hooks(path, None)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        except OSError as e:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
            if e.errno in STORAGE_ERRNOS:
                raise _write_failed(path, e) from None
            raise
    finally:
        os.close(fd)


def check_writable(path, what: str, fix: str) -> Path:
    """Refuse early, before any expensive work, an output file that cannot be written."""
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
