"""Small POSIX file helpers shared by the local backend and its lock file (stdlib only)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
_NO_DIR_FSYNC = {errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP}


def ensure_dir(directory: Path) -> None:
    """Create `directory` and any missing parents with mode 0700; existing ones are left alone."""
    if directory.is_dir():
        return
    missing = []
    for candidate in (directory, *directory.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    for candidate in reversed(missing):
        try:
            candidate.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue  # another process made it first
        os.chmod(candidate, PRIVATE_DIR)  # mkdir's mode is filtered by the umask


def write_new(path: Path, data: bytes, *, fsync: bool = False) -> None:
    """Create `path` (which must not exist) with mode 0600 from the start, and write `data` to it."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)  # the umask may have removed bits from 0600; never added any
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(directory: Path) -> None:
    """Make a rename/link in `directory` durable (a no-op where directories cannot be fsynced)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _NO_DIR_FSYNC:
            raise
    finally:
        os.close(fd)


def unlink_quietly(path: Path) -> None:
    """Remove `path` if it exists."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
