"""FilePart: a slice of an open file as a binary stream of its own, hashed as it is read."""

from __future__ import annotations

import array
import hashlib
import io

from assistplan.remote.upload import Digests, FilePart


def test_readinto_fills_any_writable_buffer_with_the_part_s_bytes() -> None:
    digests = Digests()
    part = FilePart(io.BytesIO(b"0123456789"), 0, 6, 10, digests, None)
    first = bytearray(4)
    assert part.readinto(first) == 4 and first == b"0123"
    rest = array.array("b", [0, 0, 0, 0])  # a buffer that is neither bytes nor bytearray
    assert part.readinto(rest) == 2 and rest.tobytes() == b"45\x00\x00"
    assert part.readinto(memoryview(bytearray(3))) == 0  # the part is read to its end
    assert digests.sha256 == hashlib.sha256(b"012345").hexdigest()
    assert (
        io.BufferedReader(FilePart(io.BytesIO(b"0123456789"), 2, 5, 10, Digests(), None)).read() == b"23456"
    )
