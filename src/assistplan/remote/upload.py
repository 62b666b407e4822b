"""Upload progress without giving up streaming: a binary file that reports each read."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import BinaryIO

Progress = Callable[[int, int], None]  # (bytes sent so far, size)


class ReadProgress(io.RawIOBase):
    """Wraps an open binary file; calls `report(done, size)` after every read.

    httpx2 sizes a multipart file with `fileno()` (fstat) and reads it in 64 KiB chunks, seeking
    to 0 before every attempt; all three reach the real file, so memory stays flat, and a retry
    starts the count again.
    """

    def __init__(self, fh: BinaryIO, report: Progress):
        super().__init__()
        self._fh = fh
        self._report = report
        self._size = os.fstat(fh.fileno()).st_size
        self._done = 0

    @property
    def name(self) -> str:
        return str(getattr(self._fh, "name", "upload"))

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fh.fileno()

    def tell(self) -> int:
        return self._fh.tell()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self._done = self._fh.seek(offset, whence)
        return self._done

    def read(self, size: int | None = -1) -> bytes:
        chunk = self._fh.read(-1 if size is None else size)
        if chunk:
            self._done += len(chunk)
            self._report(self._done, self._size)
        return chunk

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)
