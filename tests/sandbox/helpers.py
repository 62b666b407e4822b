"""Shared test helpers: clients for both ways in, a response recorder, and store snapshots."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import openai
from werkzeug import serving as werkzeug_serving

from assistplan.sandbox import SANDBOX_BASE_URL, Faults, Store, http_client, make_server, open_store
from assistplan.sandbox.server import RequestHandler, server_url

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

API_KEY = "sk-test-sandbox-key"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
BETA = {"OpenAI-Beta": "assistants=v2"}
# The SDK's assistants methods are deprecated; tests filter exactly that warning, locally.
IGNORE_ASSISTANTS_DEPRECATION = "ignore:deprecated:DeprecationWarning"


@dataclass
class Exchange:
    """One request and the response the sandbox produced for it."""

    method: str
    path: str
    request_content_type: str
    request_body: bytes
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def json_request(self) -> Any:
        return json.loads(self.request_body)


class Recorder:
    """An httpx2 response hook keeping every exchange (public API: ``event_hooks``)."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()

    def __call__(self, response: httpx2.Response) -> None:
        response.read()
        request = response.request
        try:
            body = request.content
        except httpx2.RequestNotRead:  # a streamed multipart upload over a socket
            body = b""
        exchange = Exchange(
            method=request.method,
            path=request.url.path,
            request_content_type=request.headers.get("content-type", ""),
            request_body=body,
            status=response.status_code,
            content_type=response.headers.get("content-type", ""),
            body=response.content,
        )
        with self._lock:
            self.exchanges.append(exchange)

    def attach(self, client: httpx2.Client) -> httpx2.Client:
        client.event_hooks = {"request": [], "response": [self]}
        return client


def sdk(client: httpx2.Client, base_url: str = SANDBOX_BASE_URL, **kw: Any) -> openai.OpenAI:
    """The official SDK over ``client``, validating every response strictly."""
    options: dict[str, Any] = {"max_retries": 0, **kw}
    return openai.OpenAI(
        api_key=API_KEY, base_url=base_url, http_client=client, _strict_response_validation=True, **options
    )


def raw(data_dir: Path | None, faults: Faults | None = None, token: str | None = None) -> httpx2.Client:
    """A plain in-process client with auth and beta headers preset."""
    client = http_client(data_dir, faults, token)
    client.headers.update({**AUTH, **BETA})
    return client


@contextmanager
def serving(server: werkzeug_serving.BaseWSGIServer) -> Iterator[str]:
    """`server` (bound, not yet serving) on a thread until the block ends; yields its ``/v1``
    base URL."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_url(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def loopback(
    data_dir: Path | None, faults: Faults | None = None, token: str | None = None
) -> AbstractContextManager[str]:
    """Serve the sandbox on 127.0.0.1 (a free port) in a thread; yields its ``/v1`` base URL."""
    return serving(make_server("127.0.0.1", 0, data_dir, faults, token))


def loopback_app(
    app: WSGIApp, handler: type[werkzeug_serving.WSGIRequestHandler] = RequestHandler
) -> AbstractContextManager[str]:
    """Serve a WSGI app (one wrapping the sandbox's, answering otherwise on some routes) as
    `loopback` serves the sandbox; yields its ``/v1`` base URL."""
    server = werkzeug_serving.make_server("127.0.0.1", 0, app, threaded=True, request_handler=handler)
    return serving(server)


def snapshot(data_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the process's store holds, and what a fresh load of the data dir holds."""
    fresh = Store(data_dir.resolve())
    try:
        return open_store(data_dir).snapshot(), fresh.snapshot()
    finally:
        fresh.close()


def error_of(response: httpx2.Response) -> dict[str, Any]:
    """The inner error object, after checking the envelope has exactly OpenAI's four keys."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"message", "type", "param", "code"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def upload(client: httpx2.Client, name: str, content: bytes, purpose: str = "assistants") -> dict[str, Any]:
    response = client.post("/v1/files", data={"purpose": purpose}, files={"file": (name, content)})
    assert response.status_code == 200, response.text
    return response.json()


def serve_process(
    data_dir: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """``assistplan sandbox serve --port 0`` in a child process; returns it and its announced base URL."""
    code = "import sys; from assistplan.cli.sandbox_cmd import sandbox; sandbox(sys.argv[1:])"
    command = [sys.executable, "-c", code, "serve", "--port", "0", "--data", str(data_dir), *args]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})}
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.fullmatch(
        r"assistplan sandbox listening on (http://127\.0\.0\.1:\d+/v1) \(data: (.+)\)\n", line
    )
    if match is None:
        proc.kill()
        raise AssertionError(f"unexpected announcement {line!r}; stderr: {proc.communicate()[1]}")
    assert Path(match.group(2)) == data_dir.resolve()
    return proc, match.group(1)


@contextmanager
def served_process(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`serve_process` until the block ends, then stopped as a user stops it (SIGTERM: exit 0);
    yields its ``/v1`` base URL."""
    proc, url = serve_process(data_dir, *args, env=env)
    try:
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
