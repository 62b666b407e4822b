"""A stateful local emulator of the OpenAI API for assistants, files and vector stores.

The same WSGI app serves in process (:func:`http_client`, for ``--sandbox`` and tests) and on
loopback (``assistplan sandbox serve``, :func:`serve`). Objects persist under the data dir.
This package imports nothing from the rest of assistplan. Its names load on first use (PEP 562),
so importing one light module (e.g. `defaults`) does not load werkzeug and httpx2.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import make_app
    from .client import SANDBOX_BASE_URL, http_client
    from .faults import Faults
    from .server import make_server, serve
    from .store import Store, open_store

_HOME = {
    "SANDBOX_BASE_URL": ".client",
    "Faults": ".faults",
    "Store": ".store",
    "http_client": ".client",
    "make_app": ".app",
    "make_server": ".server",
    "open_store": ".store",
    "serve": ".server",
}

__all__ = [
    "SANDBOX_BASE_URL",
    "Faults",
    "Store",
    "http_client",
    "make_app",
    "make_server",
    "open_store",
    "serve",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name], __name__), name)
