"""The in-process way in: an ``httpx2`` client whose transport calls the WSGI app directly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx2

from .app import make_app
from .faults import Faults, ResponseDropped

SANDBOX_ORIGIN = "http://sandbox.invalid"
SANDBOX_BASE_URL = f"{SANDBOX_ORIGIN}/v1"


class _Transport(httpx2.WSGITransport):
    """A dropped answer looks as it does over a socket: the server went away without one."""

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            return super().handle_request(request)
        except ResponseDropped:
            raise httpx2.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None


def http_client(
    data_dir: Path | None,
    faults: Faults | None = None,
    token: str | None = None,
    wrap: Callable[[httpx2.BaseTransport], httpx2.BaseTransport] | None = None,
) -> httpx2.Client:
    """An ``httpx2.Client`` served by the sandbox for ``data_dir`` without any socket.

    Use it as ``openai.OpenAI(api_key=..., base_url=SANDBOX_BASE_URL, http_client=client)``.
    ``wrap`` puts a transport of the client's own around the sandbox's (as around a socket's).
    """
    transport: httpx2.BaseTransport = _Transport(app=make_app(data_dir, faults, token))
    return httpx2.Client(transport=wrap(transport) if wrap else transport, base_url=SANDBOX_ORIGIN)
