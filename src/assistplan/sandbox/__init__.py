"""A stateful local emulator of the OpenAI API for assistants, files and vector stores.

The same WSGI app serves in process (:func:`http_client`, for ``--sandbox`` and tests) and on
loopback (``assistplan sandbox serve``, :func:`serve`). Objects persist under the data dir.
This package imports nothing from the rest of assistplan.
"""

from .app import make_app
from .client import SANDBOX_BASE_URL, http_client
from .faults import Faults
from .server import make_server, serve
from .store import Store, open_store

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
