"""The console script's process and CPython's cyclic garbage collector.

A command builds large, acyclic trees of JSON that live until it ends (the config, the state,
the refreshed objects, the plan): hundreds of thousands of containers for 10,000 resources.
The collector would walk them again and again while they are built and after (a tenth of a
no-op plan); refcounting frees them anyway. The `assistplan` console script runs one command and
ends, so there, and only there (`main()` calls `one_shot_process()`), it collects in larger
batches, pauses the collector while a stage builds such data and freezes the result. Code that
calls the engine from an application, and tests running commands in their own process, never
get any of this: their collector is left as they set it (tests/e2e/test_garbage_collector.py).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

GC_THRESHOLDS = (50_000, 50, 50)  # cycles are still collected, in larger batches

_one_shot = False


def one_shot_process() -> None:
    """This process runs one command, then ends (the console script)."""
    global _one_shot
    _one_shot = True
    gc.set_threshold(*GC_THRESHOLDS)


def one_shot() -> bool:
    """Whether this process is the console script's (see the module docstring)."""
    return _one_shot


@contextmanager
def building() -> Iterator[None]:
    """A stage that builds data living as long as the command: in the one-shot process, the
    collector pauses while it runs and what exists after it is frozen, so no later collection
    walks it (garbage cycles the stage made are kept until the process ends; stages make few)."""
    if not _one_shot:
        yield
        return
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def at_exit() -> None:
    """CPython's shutdown would walk the whole heap for cycles (0.35 s after a 10,000-resource
    plan) only to free memory the OS takes back anyway."""
    if _one_shot:
        gc.freeze()
