"""Multipart form parsing: werkzeug's own, without compiling two regexes per request.

werkzeug's decoder compiles two regular expressions around each request's boundary: 0.3 ms of
CPU per upload, since clients draw a fresh random boundary every time (``re``'s cache never
hits), and most of the sandbox's time for an upload part. Here one pattern per boundary
*length* finds each candidate delimiter and the boundary itself is then compared, which matches
exactly where werkzeug's pattern matches. werkzeug's parser code runs unchanged around it: its
functions are rebuilt to see this decoder in place of theirs (werkzeug itself is not modified).
"""

from __future__ import annotations

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


class _MultiPartParser(formparser.MultiPartParser):
    parse = _rebound(formparser.MultiPartParser.parse, MultipartDecoder=_Decoder)


class FormDataParser(formparser.FormDataParser):
    """werkzeug's form parser, its multipart decoder as above."""

    _parse_multipart = _rebound(formparser.FormDataParser._parse_multipart, MultiPartParser=_MultiPartParser)
