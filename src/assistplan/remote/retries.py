"""No silent waits: what the SDK's retries are waiting for is told, and an endpoint that never
answered is not waited for at all.

- `FailFast` (a transport around the real one): before an endpoint has answered once, a refused
  connection, an unknown host or a connect timeout ends the request at once instead of going
  through the SDK's six retries with backoff (half a minute of nothing); once it has answered,
  connection errors are blips and the SDK retries them as usual.
- `SentOnce` (a transport around the real one): a request made in a `sent_once()` block (a create:
  sent twice, it makes two objects) whose answer is lost after it went out (the connection broke,
  a read timed out) ends in `Unanswered`, which the SDK does not retry; so does an answer the SDK
  would retry that may come after the create was carried out (a gateway's 502 or 504, a 500,
  408 or 409: `answered_maybe_done`). One that never went out (refused, connect timeout) or was
  refused before any work (429, 503) is retried as usual.
- `announce_retries`: the SDK logs every retry it is about to wait for (`openai._base_client`,
  "Retrying request in %f seconds (retry %i of %s)", from inside the `except` that caught the
  failure). A handler turns that into one line for the `Remote` call being made in this thread
  (`calling`), e.g. `retrying list vector_stores after HTTP 500 (2/6)…`, and hands it to the
  Remote's `on_retry`.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpx2
import openai

from assistplan.remote.client import MAX_RETRIES_ENV
from assistplan.secrets import redact

RETRY_COUNT = "x-stainless-retry-count"  # the SDK numbers every attempt of a request with it
SDK_LOGGER = "openai._base_client"
_RETRYING = "Retrying request in"


@dataclass(frozen=True)
class _Call:
    what: str  # the operation in words: "list vector_stores", "assistant.hr-bot: update"
    tell: Callable[[str], None]


_CURRENT: ContextVar[_Call | None] = ContextVar("assistplan_remote_call", default=None)
_SENT_ONCE: ContextVar[bool] = ContextVar("assistplan_sent_once", default=False)


@contextlib.contextmanager
def calling(what: str, tell: Callable[[str], None] | None) -> Iterator[None]:
    """Retries of the requests made in this block are told to `tell`, named `what`."""
    if tell is None:
        yield
        return
    token = _CURRENT.set(_Call(what, tell))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def _cause(exc: BaseException | None) -> str:
    if isinstance(exc, httpx2.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, httpx2.TimeoutException):
        return "a timeout"
    if isinstance(exc, httpx2.TransportError):
        return f"a connection error ({exc or type(exc).__name__})"
    return "an error"


class _Announcer(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        call = _CURRENT.get()
        args = record.args if isinstance(record.args, tuple) else ()
        if call is None or not str(record.msg).startswith(_RETRYING) or len(args) != 3:
            return
        delay, attempt, budget = args
        wait = f" in {delay:.0f}s" if isinstance(delay, int | float) and delay >= 1 else ""
        cause = _cause(sys.exc_info()[1])
        call.tell(redact(f"retrying {call.what} after {cause}{wait} ({attempt}/{budget})…"))


_announcer = _Announcer()


def announce_retries() -> None:
    """Install the handler on the SDK's logger (once; a user's own SDK logging is left as it is)."""
    log = logging.getLogger(SDK_LOGGER)
    if _announcer not in log.handlers:
        log.addHandler(_announcer)
    if log.getEffectiveLevel() > logging.INFO:
        log.setLevel(logging.INFO)


def gave_up(request: Any, max_retries: int) -> str:
    """ "; gave up after 6 retries (ASSISTPLAN_MAX_RETRIES sets how many)" for a request the SDK
    spent its whole retry budget on (or had none for), else nothing."""
    try:
        taken = int(request.headers.get(RETRY_COUNT, "0"))
    except (AttributeError, ValueError, RuntimeError):  # no request (or none attached to the error)
        return ""
    if max_retries == 0:
        return f"; not retried ({MAX_RETRIES_ENV} is 0)"
    if taken < max_retries:
        return ""
    return f"; gave up after {taken} retr{'y' if taken == 1 else 'ies'} ({MAX_RETRIES_ENV} sets how many)"


@contextlib.contextmanager
def sent_once() -> Iterator[None]:
    """Requests made in this block are never sent twice (see `SentOnce`)."""
    token = _SENT_ONCE.set(True)
    try:
        yield
    finally:
        _SENT_ONCE.reset(token)


def answered_maybe_done(status: int) -> bool:
    """An answer the SDK retries that does not say the request was left undone: a gateway's
    502/504 (its upstream may have finished), a 500, 408 or 409. A 429 or 503 refuses the request."""
    return status in (408, 409) or (status >= 500 and status != 503)


class Unanswered(openai.APIConnectionError):
    """A request made in a `sent_once()` block went out and its answer never came (`status`:
    None), or was one that leaves it unknown whether it was carried out (`answered_maybe_done`)."""

    def __init__(self, *, message: str, request: httpx2.Request, status: int | None = None) -> None:
        super().__init__(message=message, request=request)
        self.status = status


class SentOnce(httpx2.BaseTransport):
    """A transport that keeps the SDK from sending again a request it may have carried out (see
    module docstring): an OpenAIError raised here propagates without retry."""

    def __init__(self, inner: httpx2.BaseTransport):
        self._inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            response = self._inner.handle_request(request)
        except (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout):
            raise  # it never went out: sending it again makes nothing twice
        except httpx2.TransportError as exc:
            if not _SENT_ONCE.get():
                raise
            raise Unanswered(message=_cause(exc), request=request) from exc
        if _SENT_ONCE.get() and answered_maybe_done(response.status_code):
            response.close()
            status = response.status_code
            raise Unanswered(message=f"answered HTTP {status}", request=request, status=status)
        return response

    def close(self) -> None:
        self._inner.close()


class FailFast(httpx2.BaseTransport):
    """A transport that does not retry an endpoint that never answered (see module docstring).
    `source`: where the endpoint's URL came from (a flag or setting), named in the error."""

    def __init__(self, inner: httpx2.BaseTransport, source: str):
        self._inner = inner
        self._source = source
        self._answered = False

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            response = self._inner.handle_request(request)
        except (httpx2.ConnectError, httpx2.ConnectTimeout) as exc:
            if self._answered:
                raise  # it answered before: a blip the SDK retries
            why = str(exc) or type(exc).__name__
            raise openai.APIConnectionError(
                message=f"{why}; not retried, as it never answered; the URL comes from {self._source}",
                request=request,
            ) from exc
        self._answered = True
        return response

    def close(self) -> None:
        self._inner.close()
