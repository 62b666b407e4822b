"""The cyclic garbage collector and the large, long-lived, acyclic data assistplan builds.

A config, a state or a plan of 10,000 resources is hundreds of thousands of containers that live
until the command ends and hold no reference cycles. The collector would walk them again and
again (a tenth of a no-op plan's time); refcounting frees them anyway when they go.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def building() -> Iterator[None]:
    """Pause the cyclic collector while the block builds data, then freeze what exists, so later
    collections never walk it. Only garbage cycles made inside are kept, until the process ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
