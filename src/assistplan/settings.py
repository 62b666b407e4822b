"""Settings read from the environment, checked before a command changes anything: a bad value
is an error naming the variable, never a failure half-way through an apply."""

from __future__ import annotations

import math
import os

from assistplan.errors import AssistplanError

PROCESSING_TIMEOUT_ENV = "ASSISTPLAN_PROCESSING_TIMEOUT"  # seconds apply waits for a store's files
DEFAULT_PROCESSING_TIMEOUT = 600.0


def processing_timeout() -> float:
    """$ASSISTPLAN_PROCESSING_TIMEOUT (seconds, more than 0), else 600."""
    text = os.environ.get(PROCESSING_TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_PROCESSING_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise AssistplanError(
            f"{PROCESSING_TIMEOUT_ENV}={text!r}: expected a number of seconds greater than 0 "
            f"(how long apply waits for a vector store's files to be processed; default "
            f"{DEFAULT_PROCESSING_TIMEOUT:g})"
        )
    return value


def check_apply_settings() -> None:
    """Every setting an apply reads, checked before it plans or takes the state lock."""
    from assistplan.remote.client import max_retries_from_env

    processing_timeout()
    max_retries_from_env()
