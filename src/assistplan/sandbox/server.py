"""The loopback way in: a threaded werkzeug server around the same WSGI app."""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from werkzeug import serving

from .app import make_app
from .defaults import DEFAULT_HOST, DEFAULT_PORT
from .faults import Faults


class RequestHandler(serving.WSGIRequestHandler):
    """No access log line per request (errors are still logged); a dropped answer closes."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        """Also a dropped answer (faults.ResponseDropped): close, so the client sees no answer."""
        self.close_connection = True


def make_server(
    host: str = DEFAULT_HOST,
    port: int = 0,
    data_dir: Path | None = None,
    faults: Faults | None = None,
    token: str | None = None,
) -> serving.BaseWSGIServer:
    """A bound, not yet serving, threaded server (``port=0`` picks a free port: see ``.port``).

    Raises ``OSError`` when the address cannot be bound (werkzeug alone would exit the process).
    """
    app = make_app(data_dir, faults, token)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.create_server((host, port), family=family, backlog=128) as listening:
        return serving.make_server(
            host, port, app, threaded=True, request_handler=RequestHandler, fd=listening.fileno()
        )


def server_url(server: serving.BaseWSGIServer) -> str:
    """The base URL clients use, e.g. ``http://127.0.0.1:8089/v1``."""
    host = server.host if ":" not in server.host else f"[{server.host}]"
    return f"http://{host}:{server.port}/v1"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    data_dir: Path | None = None,
    faults: Faults | None = None,
    token: str | None = None,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve until SIGINT or SIGTERM, after announcing the URL in one line."""
    server = make_server(host, port, data_dir, faults, token)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    shown = "in memory" if data_dir is None else str(Path(data_dir).resolve())
    try:
        announce(f"assistplan sandbox listening on {server_url(server)} (data: {shown})")
        announce(f"Azure AI Foundry projects: {server_url(server).removesuffix('/v1')}/api/projects/NAME")
        server.serve_forever()
    except KeyboardInterrupt:  # a signal that came before serve_forever could catch it
        pass
    finally:
        server.server_close()
