"""One process at a time: an OS file lock (flock) on a run folder while it trains, on a board while it
is built, on a feature-cache entry while it is written.

The kernel drops an flock when its process dies, so a kill -9 leaves no stale lock to clean up. The
lock file holds the holder's pid and host, read only to name the holder when a second process is
refused. The file is removed on release; a process that locked a file just removed (it opened it
before the removal) sees that its inode is gone and tries again, so two processes never both hold it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import socket
from pathlib import Path
from typing import Iterator, Optional

from .errors import GanbenchError

NAME = ".ganbench.lock"


class Locked(GanbenchError):
    """Another live process holds the lock."""

    def __init__(self, message: str, pid: Optional[int]):
        super().__init__(message)
        self.pid = pid


def _holder(path: Path) -> tuple:
    try:
        fields = path.read_text().split()
        return int(fields[0]), (fields[1] if len(fields) > 1 else "?")
    except (OSError, ValueError, IndexError):
        return None, "?"


def _acquire(path: Path) -> Optional[int]:
    """A locked fd of `path`, or None when another process holds it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return None
            raise
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {socket.gethostname()}\n".encode(), 0)
            return fd
        os.close(fd)  # the holder removed it as we opened it: lock the new one


def _release(path: Path, fd: int) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
    os.close(fd)


@contextlib.contextmanager
def hold(path, what: str, fix: str) -> Iterator[Path]:
    """Hold the lock file `path` for the block; refuse in one line, naming the holder, if it is taken.

    `what` names the locked thing ("run folder runs/a"), `fix` says what to do instead."""
    path = Path(path)
    made = not path.parent.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _acquire(path)
    if fd is None:
        pid, host = _holder(path)
        who = f"process {pid}" + (f" on {host}" if host not in ("?", socket.gethostname()) else "")
        raise Locked(f"{what} is in use by {who if pid else 'another process'} (lock {path}); {fix}", pid)
    try:
        yield path
    finally:
        _release(path, fd)
        if made:  # a refused or failed start leaves no empty folder behind
            with contextlib.suppress(OSError):
                path.parent.rmdir()


@contextlib.contextmanager
def try_hold(path) -> Iterator[Optional[int]]:
    """Yield None when the lock is ours for the block, else the holder's pid (and hold nothing)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _acquire(path)
    if fd is None:
        yield _holder(path)[0] or -1
        return
    try:
        yield None
    finally:
        _release(path, fd)


def run_folder(run_dir):
    """The lock of a run folder while it trains."""
    return hold(
        Path(run_dir) / NAME,
        f"run folder {run_dir}",
        "wait for that process to end (or stop it), or train into another --out",
    )


def board_folder(out):
    return hold(Path(out) / NAME, f"board {out}", "wait for that build to end, then build again")
