"""Multipart form parsing: werkzeug's own, without compiling two regexes per request.

werkzeug's decoder compiles two regular expressions around each request's boundary: 0.3 ms of
CPU per upload, since clients draw a fresh random boundary every time (``re``'s cache never
hits), and most of the sandbox's time for an upload part. Here one pattern per boundary
*length* finds each candidate delimiter and the boundary itself is then compared, which matches
exactly where werkzeug's pattern matches. werkzeug's parser code runs unchanged around it: its
functions are rebuilt to see this decoder in place of theirs (werkzeug itself is not modified).
"""

from __future__ import annotations

import io
import re
import types
from functools import cache
from typing import Any

from werkzeug import formparser
from werkzeug.sansio.multipart import LINE_BREAK, MultipartDecoder

_BLANKS = rb"[^\S\n\r]*"  # horizontal whitespace, written as werkzeug writes it


@cache
def _delimiter(length: int, prefix: bytes) -> re.Pattern[bytes]:
    """werkzeug's delimiter pattern with ``length`` characters of any boundary in its place."""
    tail = rb"(--%s%s?|%s%s)" % (_BLANKS, LINE_BREAK, _BLANKS, LINE_BREAK)
    return re.compile(rb"%s--[^\r\n]{%d}%s" % (prefix, length, tail), re.MULTILINE)


class _Delimiter:
    """What werkzeug asks of its compiled delimiter pattern (``search``), for one boundary."""

    def __init__(self, boundary: bytes, prefix: bytes) -> None:
        self.boundary = boundary
        self.pattern = _delimiter(len(boundary), prefix)

    def search(self, data: bytes | bytearray, pos: int = 0) -> re.Match[bytes] | None:
        while (match := self.pattern.search(data, pos)) is not None:
            end = match.start(1)
            if data[end - len(self.boundary) : end] == self.boundary:
                return match
            pos = match.start() + 1
        return None


class _Decoder(MultipartDecoder):
    def __init__(
        self, boundary: bytes, max_form_memory_size: int | None = None, *, max_parts: int | None = None
    ) -> None:
        super().__init__(b"-", max_form_memory_size, max_parts=max_parts)  # compiled once, then cached
        self.boundary = boundary
        self.preamble_re = _Delimiter(boundary, LINE_BREAK + b"?")  # type: ignore[assignment]
        self.boundary_re = _Delimiter(boundary, LINE_BREAK)  # type: ignore[assignment]


def _rebound(function: Any, **names: Any) -> Any:
    """werkzeug's ``function`` as it is, seeing ``names`` in place of those globals of its module."""
    clone = types.FunctionType(
        function.__code__,
        {**function.__globals__, **names},
        function.__name__,
        function.__defaults__,
        function.__closure__,
    )
    clone.__kwdefaults__ = function.__kwdefaults__
    return clone


def _fast_parser() -> type[formparser.FormDataParser]:
    class _MultiPartParser(formparser.MultiPartParser):
        parse = _rebound(formparser.MultiPartParser.parse, MultipartDecoder=_Decoder)

    class _FormDataParser(formparser.FormDataParser):
        _parse_multipart = _rebound(
            formparser.FormDataParser._parse_multipart, MultiPartParser=_MultiPartParser
        )

    return _FormDataParser


_SAMPLE_BOUNDARY = b"q1-sample"
_SAMPLE = (
    b'a preamble\r\n--q1-sample\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants'
    b'\r\n--q1-sample\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'
    b"x\r\n--q1-sampl\r\n--q1-sample-\r\ny\r\n--q1-sample--\r\n"
)


def parse_sample(parser_class: type[formparser.FormDataParser]) -> Any:
    """What `parser_class` reads of a body with a preamble, a field, a file holding delimiter
    look-alikes, and the closing delimiter."""
    stream, form, files = parser_class().parse(
        io.BytesIO(_SAMPLE), "multipart/form-data", len(_SAMPLE), {"boundary": _SAMPLE_BOUNDARY.decode()}
    )
    read = []
    for name, upload in files.items(multi=True):
        try:
            read.append((name, upload.filename, upload.read()))
        finally:
            upload.close()
    return list(form.items(multi=True)), read


def same_delimiters() -> bool:
    """Whether werkzeug's decoder still compiles the delimiter patterns `_delimiter` writes out
    (with the boundary where this has any `length` characters): a release that changes them
    means the fast decoder no longer finds what werkzeug's would."""
    theirs = MultipartDecoder(b"X")
    written = b"[^\\r\\n]{1}"
    return all(
        ours.pattern.replace(written, re.escape(b"X")) == want.pattern and ours.flags == want.flags
        for ours, want in (
            (_delimiter(1, LINE_BREAK + b"?"), theirs.preamble_re),
            (_delimiter(1, LINE_BREAK), theirs.boundary_re),
        )
    )


def choose(candidate: Any) -> type[formparser.FormDataParser]:
    """`candidate()` (the fast parser) if it builds and reads the sample as werkzeug does, else
    werkzeug's own: the fast one leans on werkzeug internals a release may change, and the
    sandbox must keep reading uploads then, only slower."""
    try:
        fast: type[formparser.FormDataParser] = candidate()
        if same_delimiters() and parse_sample(fast) == parse_sample(formparser.FormDataParser):
            return fast
    except Exception:  # noqa: BLE001 - any failure of the internals it leans on means: not here
        pass
    return formparser.FormDataParser


FormDataParser = choose(_fast_parser)
"""werkzeug's form parser, its multipart decoder as above (werkzeug's own where that fails)."""
