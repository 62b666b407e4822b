"""Streaming a file to the Uploads API: parts read straight from disk, with progress and digests.

Each part is a window on the open file. httpx2 sizes a multipart file with `tell`/`seek` (the
window has no `fileno`, so it is never mistaken for the whole file), reads it in 64 KiB chunks
and seeks to 0 before every attempt; memory stays flat whatever the file's size, and a retried
part starts its count again.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

Progress = Callable[[int, int], None]  # (bytes sent so far, size)
PART_SIZE = 64 * 1024 * 1024  # the API's largest part (the SDK's own DEFAULT_PART_SIZE)


class Digests:
    """sha256 and md5 of a file's bytes in order, fed by reads that may repeat (a retried part is
    read again from its start; bytes already counted are not counted twice)."""

    def __init__(self) -> None:
        self._sha256 = hashlib.sha256()
        self._md5 = hashlib.md5(usedforsecurity=False)
        self.done = 0  # bytes hashed: the file's first `done` bytes

    def feed(self, offset: int, data: bytes) -> None:
        end = offset + len(data)
        if offset <= self.done < end:
            fresh = data[self.done - offset :]
            self._sha256.update(fresh)
            self._md5.update(fresh)
            self.done = end

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    @property
    def md5(self) -> str:
        return self._md5.hexdigest()


class FilePart(io.RawIOBase):
    """Bytes [start, start + length) of an open file, as a seekable binary stream of its own.

    Every read is reported as `report(bytes of the file sent so far, file size)` and fed to
    `digests`.
    """

    def __init__(
        self, fh: BinaryIO, start: int, length: int, size: int, digests: Digests, report: Progress | None
    ):
        super().__init__()
        self._fh = fh
        self._start = start
        self._length = length
        self._size = size
        self._pos = 0
        self._digests = digests
        self._report = report

    @property
    def name(self) -> str:
        return str(getattr(self._fh, "name", "upload"))

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._length}[whence]
        self._pos = max(0, min(self._length, base + offset))
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        left = self._length - self._pos
        want = left if size is None or size < 0 else min(size, left)
        if want <= 0:
            return b""
        self._fh.seek(self._start + self._pos)
        chunk = self._fh.read(want)
        if chunk:
            self._digests.feed(self._start + self._pos, chunk)
            self._pos += len(chunk)
            if self._report is not None:
                self._report(self._start + self._pos, self._size)
        return chunk

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer).cast("B")
        chunk = self.read(len(view))
        view[: len(chunk)] = chunk
        return len(chunk)


# The MIME types OpenAI lists for assistants files (file search and code interpreter); an Upload
# must name one. Anything else: Python's own table (without the system's), else octet-stream.
MIME_TYPES = {
    ".c": "text/x-c",
    ".cpp": "text/x-c++",
    ".cs": "text/x-csharp",
    ".css": "text/css",
    ".csv": "text/csv",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".gif": "image/gif",
    ".go": "text/x-golang",
    ".html": "text/html",
    ".java": "text/x-java",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".js": "text/javascript",
    ".json": "application/json",
    ".md": "text/markdown",
    ".pdf": "application/pdf",
    ".php": "text/x-php",
    ".pkl": "application/octet-stream",
    ".png": "image/png",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".py": "text/x-python",
    ".rb": "text/x-ruby",
    ".sh": "application/x-sh",
    ".tar": "application/x-tar",
    ".tex": "text/x-tex",
    ".ts": "application/typescript",
    ".txt": "text/plain",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xml": "application/xml",
    ".zip": "application/zip",
}


def mime_type(filename: str) -> str:
    import mimetypes

    ext = os.path.splitext(filename)[1].lower()
    if ext in MIME_TYPES:
        return MIME_TYPES[ext]
    guessed, _ = mimetypes.MimeTypes(filenames=()).guess_type(filename)
    return guessed or "application/octet-stream"
