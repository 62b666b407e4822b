"""The secrets this process holds and the one way text is cleaned of them (`redact`).

Secrets are registered where they are read: the API key (OPENAI_API_KEY), every Azure bearer
token as it is issued, the PostgreSQL DSN and its password in each spelling. Everything that
leaves the process goes through `redact` first: error messages, warnings and retry lines, the
debug traceback, state documents and journal records, plan files and the JSON documents the
CLI prints; so a secret an API echoes back (in an error, or in an object's fields) is shown
and stored as `***`. The environment's own secrets count even before anything reads them.
"""

from __future__ import annotations

import json
import os
import threading

MASK = "***"
MIN_LENGTH = 4  # a shorter "secret" would mask ordinary words for next to no protection
# In stored documents (state, plans) content must stay as it is: only secrets this long are
# masked there. Keys and tokens are far longer; a weak DSN password could match content.
STORED_MIN_LENGTH = 16
ENV_SECRETS = ("OPENAI_API_KEY", "ASSISTPLAN_AZURE_TOKEN")

_lock = threading.Lock()
_known: set[str] = set()
_ordered: tuple[str, ...] = ()  # longest first, so a secret inside another is masked as part of it


def register(*values: str | None) -> None:
    """Remember secrets (None and short values are ignored), in their JSON-escaped spelling too."""
    global _ordered
    fresh: set[str] = set()
    for value in values:
        if value and len(value) >= MIN_LENGTH:
            fresh |= {value, json.dumps(value, ensure_ascii=False)[1:-1]}
    with _lock:
        if fresh <= _known:
            return
        _known.update(fresh)
        _ordered = tuple(sorted(_known, key=len, reverse=True))


def redact(text: str, min_length: int = MIN_LENGTH) -> str:
    """`text` with every known secret (of at least `min_length` characters) replaced by `***`."""
    register(*(os.environ.get(name, "").strip() for name in ENV_SECRETS))
    for secret in _ordered:
        if len(secret) >= min_length and secret in text:
            text = text.replace(secret, MASK)
    return text


def redact_stored(text: str) -> str:
    """A document to store (state, journal record, plan file) without the secrets it may hold."""
    return redact(text, STORED_MIN_LENGTH)
