"""The sandbox's multipart parsing reads every body exactly as werkzeug's own parser does:
random boundaries, line breaks, preambles, epilogues, parts across werkzeug's 64 KiB reads,
contents holding delimiter look-alikes, truncated bodies."""

from __future__ import annotations

import io
import random
import re
from typing import Any

from werkzeug import formparser
from werkzeug.wrappers import Request

from assistplan.sandbox import multipart
from assistplan.sandbox.multipart import FormDataParser

_BCHARS = b"abcXYZ0123456789'()+_,-./:=? "  # what RFC 2046 allows in a boundary


class _Sandboxed(Request):
    form_data_parser_class = FormDataParser


def _parsed(request_class: type[Request], body: bytes, boundary: bytes) -> Any:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "SERVER_NAME": "sandbox.invalid",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": f'multipart/form-data; boundary="{boundary.decode()}"',
    }
    with request_class(environ) as request:  # closes the files it read
        files = [(k, f.filename, f.read(), dict(f.headers)) for k, f in request.files.items(multi=True)]
        return list(request.form.items(multi=True)), files


def _body(rng: random.Random, boundary: bytes) -> bytes:
    lb = rng.choice([b"\r\n", b"\r\n", b"\n", b"\r"])
    out = rng.choice([b"", b"", b"a preamble" + lb, b"--" + boundary[:-1] + lb])
    for i in range(rng.randint(0, 3)):
        size = rng.choice([0, 1, 10, 65_530, 65_536, 70_000])
        content = (rng.randbytes(97) * (size // 97 + 1))[:size]
        for _ in range(rng.randint(0, 2)):  # something shaped like a delimiter, or like its start
            fake = b"\r\n--" + bytes(rng.choice(_BCHARS) for _ in boundary)
            at = rng.randint(0, len(content))
            content = content[:at] + rng.choice([fake, fake[:-1], b"\r\n--" + boundary[:-1]]) + content[at:]
        disposition = b'Content-Disposition: form-data; name="f%d"' % i
        if rng.random() < 0.5:
            disposition += b'; filename="n%d.bin"' % i
        out += b"--" + boundary + lb + disposition + lb + lb + content + lb
    out += b"--" + boundary + b"--" + lb + rng.choice([b"", b"an epilogue"])
    return out[: rng.randint(0, len(out))] if rng.random() < 0.1 else out


def test_every_body_parses_as_werkzeug_parses_it() -> None:
    rng = random.Random(14)
    parts = 0
    for _ in range(400):
        boundary = bytes(rng.choice(_BCHARS) for _ in range(rng.choice([1, 2, 16, 32, 70]))).strip() or b"q"
        body = _body(rng, boundary)
        ours = _parsed(_Sandboxed, body, boundary)
        assert ours == _parsed(Request, body, boundary), (boundary, body[:300])
        parts += len(ours[0]) + len(ours[1])
    assert parts > 300  # the bodies were read, not all refused


def test_werkzeugs_own_parser_reads_uploads_when_the_fast_one_cannot_be_built_or_disagrees() -> None:
    class Misreads(formparser.FormDataParser):
        def parse(self, *args: Any, **kwargs: Any) -> Any:
            stream, form, files = super().parse(*args, **kwargs)
            for upload in files.values():
                upload.close()
            return stream, form, type(files)()  # loses the files

    def broken() -> Any:
        raise AttributeError("type object 'MultiPartParser' has no attribute 'parse'")  # a release renamed it

    assert multipart.choose(broken) is formparser.FormDataParser
    assert multipart.choose(lambda: Misreads) is formparser.FormDataParser
    assert multipart.parse_sample(Misreads) != multipart.parse_sample(formparser.FormDataParser)
    assert multipart.choose(lambda: FormDataParser) is FormDataParser  # agrees: taken
    assert multipart.parse_sample(FormDataParser)[1] == [
        ("file", "a.txt", b"x\r\n--q1-sampl\r\n--q1-sample-\r\ny")
    ]


def test_werkzeugs_own_parser_reads_uploads_when_a_release_changes_its_delimiters(monkeypatch) -> None:
    from werkzeug.sansio import multipart as werkzeug_multipart

    assert multipart.same_delimiters()  # the werkzeug installed: the fast decoder matches it

    class Stricter(werkzeug_multipart.MultipartDecoder):  # e.g. no blanks after a delimiter
        def __init__(self, boundary: bytes, *args: Any, **kwargs: Any) -> None:
            super().__init__(boundary, *args, **kwargs)
            self.boundary_re = re.compile(
                rb"(?:\r\n|\n|\r)--%s(--(?:\r\n|\n|\r)?|(?:\r\n|\n|\r))" % re.escape(boundary)
            )

    monkeypatch.setattr(multipart, "MultipartDecoder", Stricter)  # as that release would have it
    assert not multipart.same_delimiters()
    assert multipart.choose(lambda: FormDataParser) is formparser.FormDataParser
