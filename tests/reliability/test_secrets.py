"""The API key never reaches state, plan files, stdout/stderr or errors — also when the API echoes it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug import Request, Response, serving

from assistplan.sandbox import Faults, make_server
from tests.reliability import harness as h

KEY = "sk-test-SECRET-7f3a9c1e55d04b2a"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, tmp_path / "server-data", Faults(), KEY)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}/v1"
    server.shutdown()


@pytest.fixture
def echoing() -> Iterator[str]:
    """A hostile server that puts the Authorization header it got into every error message."""

    @Request.application
    def app(request: Request) -> Response:
        body = {
            "error": {
                "message": f"bad key: {request.headers.get('Authorization')}",
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        }
        return Response(json.dumps(body), status=400, content_type="application/json")

    server = serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}/v1"
    server.shutdown()


def test_no_command_leaks_the_key(tmp_path: Path, served: str, echoing: str) -> None:
    root = tmp_path / "proj"
    h.generate(root, files=3, stores=1, assistants=2)
    environ = h.env(OPENAI_API_KEY=KEY)
    outputs: list[str] = []

    def run(*args: str, base: str = served) -> int:
        r = h.run(root, "--base-url", base, *args, environ=environ, sandbox=False)
        outputs.extend([r.stdout, r.stderr])
        return r.returncode

    assert run("validate") == 0
    assert run("plan", "--out", "tfplan") == 0
    assert run("plan", "--json") == 0
    assert run("plan", "--markdown") == 0
    assert run("apply", "tfplan") == 0
    assert run("output", "--json") == 0
    assert run("graph") == 0
    assert run("plan", "--detailed-exitcode") == 0
    (root / ".assistplan" / "state.json").rename(root / "state.keep")
    assert run("plan", base=echoing) == 1  # the API's error message carries the key
    assert "bad key" in outputs[-1] and "***" in outputs[-1]
    (root / "state.keep").rename(root / ".assistplan" / "state.json")
    assert run("destroy", "--auto-approve") == 0
    wrong = h.run(
        root,
        "--base-url",
        served,
        "plan",
        environ=h.env(OPENAI_API_KEY="sk-wrong-" + KEY[::-1]),
        sandbox=False,
    )
    assert wrong.returncode == 1 and "401" in wrong.stderr
    outputs += [wrong.stdout, wrong.stderr]
    files = [p for p in root.rglob("*") if p.is_file() and "server-data" not in str(p)]
    assert any(p.name == "tfplan" for p in files) and any(p.name == "state.json.backup" for p in files)
    for p in files:
        assert KEY.encode() not in p.read_bytes(), p
        assert KEY[::-1].encode() not in p.read_bytes(), p
    for text in outputs:
        assert KEY not in text and KEY[::-1] not in text
