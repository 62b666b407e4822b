"""Ctrl-C during apply, the way Terraform takes it.

The first interrupt starts no new step: the steps under way finish, their changes are saved, and
the apply ends with exit 130 (Interrupted). A second one stops at once: state writes stop (one in
progress is let finish, so the journal stays whole), the state lock is released, and the process
exits 130 without waiting for the requests in flight; what those steps began is in their intents
(saved before each create), for the next apply to take over, as after a kill.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistplan.apply.executor import Applier

FIRST = "Interrupt received, finishing the steps under way (press Ctrl-C again to stop now)…"
SECOND = (
    "Second interrupt: stopping now. State records every step that finished; the next apply takes "
    "over what the steps under way began."
)
EXIT_INTERRUPTED = 130


@contextlib.contextmanager
def graceful(
    applier: Applier, release_lock: Callable[[], None], say: Callable[[str], None]
) -> Iterator[None]:
    """Handle SIGINT as described above while the block runs (main thread only: elsewhere
    Python delivers no signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    interrupts = 0

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts == 1:
            applier.stop()
            say(FIRST)
            return
        say(SECOND)
        applier.halt()
        with contextlib.suppress(Exception):  # a lock we cannot release is reported by the next run
            release_lock()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(EXIT_INTERRUPTED)  # the threads still in requests are not waited for

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
