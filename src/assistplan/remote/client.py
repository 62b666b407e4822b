"""Building the SDK client for an endpoint: the real API, a compatible server, Azure (a Foundry
project, or its classic agents), or the sandbox.

The API key comes only from OPENAI_API_KEY, Azure tokens from azure-identity or
ASSISTPLAN_AZURE_TOKEN (remote/auth.py); none is ever stored, logged or echoed. The endpoint's
identity (for state binding) is the base URL of its files and vector stores, without
credentials or query: a Foundry project's `{project}/openai/v1`, so its state is never mistaken
for the state of the same project's classic agents (`{project}`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from assistplan import secrets
from assistplan.config.model import DEFAULT_TARGET
from assistplan.errors import RemoteError
from assistplan.remote.auth import AzureToken, openai_key, sandbox_token

if TYPE_CHECKING:
    import openai

DEFAULT_BASE_URL = "https://api.openai.com/v1"
SANDBOX_ENDPOINT = "sandbox"
SANDBOX_ORIGIN = "http://sandbox.invalid"
SANDBOX_PROJECT = "default"  # the Foundry project of the in-process sandbox
PROJECT_ENV = "AZURE_AI_PROJECT_ENDPOINT"
AGENTS_API_VERSION = "v1"
OPENAI_PATH = "/openai/v1"  # under a Foundry project: files and vector stores
MAX_RETRIES_ENV = "ASSISTPLAN_MAX_RETRIES"  # the SDK's retry budget per request (default 6)
DEFAULT_MAX_RETRIES = 6


@dataclass(frozen=True)
class Endpoint:
    """Where we talk to. `name` binds state to it; it carries no secret."""

    name: str
    base_url: str  # files and vector stores (and assistants, on that target)
    sandbox_dir: Path | None = None
    selected_by: str = "the default (OpenAI)"  # the flag or setting that chose it, for messages
    # Azure: a Foundry project's endpoint, where the agents routes hang off (None elsewhere).
    agents_url: str | None = None
    # Sent as `?api-version=`: on every call for classic agents, on the agents calls for Foundry.
    api_version: str | None = None
    azure: bool = False  # Entra ID bearer tokens instead of OPENAI_API_KEY

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


def _checked(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RemoteError(f"invalid {what} {clean_url(url)!r}: expected http(s)://host/path")
    return url


def _azure_endpoint(
    *,
    sandbox: bool,
    base_url: str | None,
    config_base_url: str | None,
    config_dir: Path,
    target: str,
    project_agents: bool,
    project_endpoint: str | None,
    api_version: str | None,
) -> Endpoint:
    """A Foundry project (a target of `project_agents`) or its classic agents (target assistants
    + api_version).

    The project: --sandbox (its project `default`), then --base-url, then provider.project_endpoint
    (or, for classic agents, provider.base_url), then $AZURE_AI_PROJECT_ENDPOINT."""
    version = (api_version or AGENTS_API_VERSION) if project_agents else api_version
    sandbox_dir = config_dir / ".assistplan" / "sandbox" if sandbox else None
    if sandbox:
        project, source = f"{SANDBOX_ORIGIN}/api/projects/{SANDBOX_PROJECT}", "--sandbox"
        name = f"{SANDBOX_ENDPOINT}/api/projects/{SANDBOX_PROJECT}"
    else:
        choices = (
            (base_url, "--base-url"),
            (project_endpoint, "provider.project_endpoint in the config"),
            (config_base_url, "provider.base_url in the config"),
            (os.environ.get(PROJECT_ENV), f"${PROJECT_ENV}"),
        )
        given, source = next(((u, s) for u, s in choices if u), (None, ""))
        if not given:
            raise RemoteError(
                f"target {target} on Azure needs the project endpoint: set provider.project_endpoint "
                f"(https://RESOURCE.services.ai.azure.com/api/projects/PROJECT) or ${PROJECT_ENV}, "
                "or pass --base-url"
            )
        project = _checked(given, f"project endpoint (from {source})").split("?", 1)[0].rstrip("/")
        name = clean_url(project)
    files = OPENAI_PATH if project_agents else ""
    return Endpoint(
        name + files,
        project + files,
        sandbox_dir,
        source,
        agents_url=project if project_agents else None,
        api_version=version,
        azure=True,
    )


def resolve_endpoint(
    *,
    sandbox: bool,
    base_url: str | None,
    config_base_url: str | None,
    config_dir: Path,
    target: str = DEFAULT_TARGET,
    project_agents: bool = False,
    project_endpoint: str | None = None,
    api_version: str | None = None,
) -> Endpoint:
    """Precedence: --sandbox, then --base-url, then the config's provider.base_url, then env, then OpenAI.
    Azure (`project_agents`: the target realises assistants as a Foundry project's agents; or
    api_version set): see `_azure_endpoint`."""
    if project_agents or api_version:
        return _azure_endpoint(
            sandbox=sandbox,
            base_url=base_url,
            config_base_url=config_base_url,
            config_dir=config_dir,
            target=target,
            project_agents=project_agents,
            project_endpoint=project_endpoint,
            api_version=api_version,
        )
    if sandbox:
        return Endpoint(
            SANDBOX_ENDPOINT, f"{SANDBOX_ORIGIN}/v1", config_dir / ".assistplan" / "sandbox", "--sandbox"
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


def base_url_of(name: str, like: Endpoint) -> str | None:
    """The --base-url that reaches the endpoint named `name` with a config like the one that chose
    `like` (None: --sandbox). A Foundry project is named by its files' URL, `{project}/openai/v1`."""
    if name == SANDBOX_ENDPOINT or name.startswith(f"{SANDBOX_ENDPOINT}/"):
        return None
    return name.removesuffix(OPENAI_PATH) if like.agents_url else name


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


@dataclass(frozen=True)
class Clients:
    """The SDK clients of one endpoint, sharing one HTTP client (so one retry, 429 and secret
    path): `client` for files, vector stores (and assistants); `agents` for a Foundry project's
    agents routes (its project endpoint, `api-version` as a default query), else None."""

    client: openai.OpenAI
    agents: openai.OpenAI | None
    # The in-process sandbox without latency or faults: its answers only wait for this process's
    # interpreter, so requests sent side by side overlap nothing and contend for it (see Remote).
    in_process: bool = False


def make_clients(
    endpoint: Endpoint,
    *,
    max_retries: int | None = None,
    pool_size: int = 32,
    credential: Any | None = None,
) -> Clients:
    """The SDK clients for the endpoint. The sandbox runs in process (no socket, no key needed).

    `max_retries` (per request, for 408/409/429/5xx and connection errors) defaults to
    $ASSISTPLAN_MAX_RETRIES, else 6; an endpoint that never answered is not retried (FailFast),
    nor a create whose answer was lost (SentOnce).
    `credential`: an azure-core credential to use instead of DefaultAzureCredential (Azure
    endpoints only).
    """
    import openai  # the SDK loads only for commands that call the API (tests/cli/test_startup.py)

    from assistplan.remote.retries import SentOnce

    if max_retries is None:
        max_retries = max_retries_from_env()
    key: str | Callable[[], str]
    in_process = False
    if endpoint.azure and endpoint.is_sandbox:
        key = sandbox_token()
    elif endpoint.azure:
        key = AzureToken(credential)
    else:
        key = openai_key(endpoint.is_sandbox)
    if isinstance(key, str):
        secrets.register(key)
    if endpoint.is_sandbox:
        from assistplan.sandbox import Faults, http_client

        try:
            faults = Faults.from_env()
        except ValueError as exc:
            raise RemoteError(f"invalid sandbox setting: {exc}") from None
        http = http_client(endpoint.sandbox_dir, faults, wrap=SentOnce)
        in_process = not faults.waits
    else:
        import httpx2

        from assistplan.remote.retries import FailFast

        limits = httpx2.Limits(max_connections=pool_size, max_keepalive_connections=pool_size)
        transport = SentOnce(FailFast(httpx2.HTTPTransport(limits=limits), endpoint.selected_by))
        http = openai.DefaultHttpxClient(limits=limits, transport=transport)
    version = {"api-version": endpoint.api_version} if endpoint.api_version else None
    main = openai.OpenAI(
        api_key=key,
        base_url=endpoint.base_url,
        http_client=http,
        max_retries=max_retries,
        default_query=None if endpoint.agents_url else version,
    )
    agents = None
    if endpoint.agents_url:
        agents = main.with_options(base_url=endpoint.agents_url, default_query=version)
    return Clients(main, agents, in_process)
