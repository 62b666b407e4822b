"""Building the SDK client for an endpoint: the real API, a compatible server, or the sandbox.

The API key comes only from OPENAI_API_KEY and is never stored, logged or echoed; the
endpoint's identity (for state binding) is the base URL without credentials or query.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from assistplan.errors import RemoteError

if TYPE_CHECKING:
    import openai

DEFAULT_BASE_URL = "https://api.openai.com/v1"
SANDBOX_ENDPOINT = "sandbox"
MAX_RETRIES_ENV = "ASSISTPLAN_MAX_RETRIES"  # the SDK's retry budget per request (default 6)
DEFAULT_MAX_RETRIES = 6


@dataclass(frozen=True)
class Endpoint:
    """Where we talk to. `name` binds state to it; it carries no secret."""

    name: str
    base_url: str
    sandbox_dir: Path | None = None
    selected_by: str = "the default (OpenAI)"  # the flag or setting that chose it, for messages

    @property
    def is_sandbox(self) -> bool:
        return self.sandbox_dir is not None


def clean_url(url: str) -> str:
    """The URL without user:password, query or fragment, and without a trailing slash."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def resolve_endpoint(
    *, sandbox: bool, base_url: str | None, config_base_url: str | None, config_dir: Path
) -> Endpoint:
    """Precedence: --sandbox, then --base-url, then the config's provider.base_url, then env, then OpenAI."""
    if sandbox:
        return Endpoint(
            SANDBOX_ENDPOINT, "http://sandbox.invalid/v1", config_dir / ".assistplan" / "sandbox", "--sandbox"
        )
    choices = (
        (base_url, "--base-url"),
        (config_base_url, "provider.base_url in the config"),
        (os.environ.get("OPENAI_BASE_URL"), "$OPENAI_BASE_URL"),
        (DEFAULT_BASE_URL, "the default (OpenAI)"),
    )
    url, source = next((u, s) for u, s in choices if u)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RemoteError(
            f"invalid base URL {clean_url(url)!r} (from {source}): expected http(s)://host/path"
        )
    return Endpoint(clean_url(url), url, selected_by=source)


def max_retries_from_env() -> int:
    """$ASSISTPLAN_MAX_RETRIES (an integer >= 0), else 6."""
    text = os.environ.get(MAX_RETRIES_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_RETRIES
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise RemoteError(f"{MAX_RETRIES_ENV}={text!r}: expected a whole number of retries (0 or more)")
    return value


def make_openai(endpoint: Endpoint, *, max_retries: int | None = None, pool_size: int = 32) -> openai.OpenAI:
    """An SDK client for the endpoint. The sandbox runs in process (no socket, no key needed).

    `max_retries` (per request, for 408/409/429/5xx and connection errors) defaults to
    $ASSISTPLAN_MAX_RETRIES, else 6.
    """
    import openai  # the SDK loads only for commands that call the API (tests/cli/test_startup.py)

    if max_retries is None:
        max_retries = max_retries_from_env()
    if endpoint.is_sandbox:
        from assistplan.sandbox import Faults, http_client

        try:
            faults = Faults.from_env()
        except ValueError as exc:
            raise RemoteError(f"invalid sandbox setting: {exc}") from None
        return openai.OpenAI(
            api_key=os.environ.get("OPENAI_API_KEY") or "sk-sandbox",
            base_url=endpoint.base_url,
            http_client=http_client(endpoint.sandbox_dir, faults),
            max_retries=max_retries,
        )
    key = os.environ.get("OPENAI_API_KEY")
    if not key:
        raise RemoteError(
            "OPENAI_API_KEY is not set: export it (the key is read only from the environment), "
            "or use --sandbox to try assistplan locally"
        )
    import httpx2

    limits = httpx2.Limits(max_connections=pool_size, max_keepalive_connections=pool_size)
    return openai.OpenAI(
        api_key=key,
        base_url=endpoint.base_url,
        max_retries=max_retries,
        http_client=openai.DefaultHttpxClient(limits=limits),
    )
