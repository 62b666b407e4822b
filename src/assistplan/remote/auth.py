"""Credentials: the OpenAI key, or an Azure bearer token (Foundry agents and Azure's classic agents).

The key comes only from OPENAI_API_KEY. Azure auth is Entra ID: ASSISTPLAN_AZURE_TOKEN when set
(a ready bearer token: CI without azure-identity, the sandbox), else azure-identity's
DefaultAzureCredential for the scope https://ai.azure.com/.default (`az login`, managed identity,
GitHub's workload identity federation). azure-identity is an optional dependency
(`assistplan[azure]`), imported only here and only when no token is given. Every secret handed
to the SDK is registered (`assistplan.secrets`), so it is scrubbed from anything shown or stored.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from assistplan import secrets
from assistplan.errors import RemoteError

TOKEN_ENV = "ASSISTPLAN_AZURE_TOKEN"
SCOPE = "https://ai.azure.com/.default"
# azure-identity logs each credential it tried as a warning, and with no logging set up Python
# prints them to stderr (a dozen lines before our one-line error, which says what to do). An
# application that sets up logging still gets them through its root logger.
logging.getLogger("azure").addHandler(logging.NullHandler())
SIGN_IN = (
    f"sign in with `az login` (or run where a managed identity or workload identity federation "
    f"is set up), or set {TOKEN_ENV} to a bearer token for {SCOPE}"
)


class AzureToken:
    """The SDK's `api_key` as a provider: a bearer token for each request (azure-identity caches
    and refreshes it), every one registered as a secret. `credential` (anything with azure-core's
    `get_token`) replaces DefaultAzureCredential: tests pass a fake one."""

    def __init__(self, credential: Any | None = None) -> None:
        self._credential = credential
        self._provider: Callable[[], str] | None = None
        self._lock = threading.Lock()

    def __call__(self) -> str:
        given = os.environ.get(TOKEN_ENV, "").strip()
        if given:
            secrets.register(given)
            return given
        try:
            token = self._get_provider()()
        except RemoteError:
            raise
        except Exception as exc:  # azure-identity's ClientAuthenticationError and friends
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise RemoteError(secrets.redact(f"Azure sign-in failed ({first}): {SIGN_IN}")) from None
        secrets.register(token)
        return token

    def _get_provider(self) -> Callable[[], str]:
        with self._lock:
            if self._provider is None:
                try:
                    from azure.identity import DefaultAzureCredential, get_bearer_token_provider
                except ImportError:
                    raise RemoteError(
                        "Azure auth needs azure-identity: `pip install 'assistplan[azure]'`, or set "
                        f"{TOKEN_ENV} to a bearer token for {SCOPE}"
                    ) from None
                credential = self._credential or DefaultAzureCredential()
                self._provider = get_bearer_token_provider(credential, SCOPE)
            return self._provider


def openai_key(sandbox: bool) -> str:
    """OPENAI_API_KEY; the sandbox takes any key."""
    key = os.environ.get("OPENAI_API_KEY")
    if key:
        secrets.register(key)
        return key
    if sandbox:
        return "sk-sandbox"
    raise RemoteError(
        "OPENAI_API_KEY is not set: export it (the key is read only from the environment), "
        "or use --sandbox to try assistplan locally"
    )


def sandbox_token() -> str:
    """The bearer token Azure-style calls send to the sandbox (any non-empty token is accepted)."""
    return os.environ.get(TOKEN_ENV, "").strip() or "sandbox-azure-token"
