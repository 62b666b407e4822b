"""The secrets this process holds and the one way text is cleaned of them (`redact`).

Secrets are registered where they are read: the API key (OPENAI_API_KEY), every Azure bearer
token as it is issued, the PostgreSQL DSN and its password in each spelling. Everything that
leaves the process goes through `redact` first: error messages, warnings and retry lines, the
debug traceback, state documents and journal records, plan files and the JSON documents the
CLI prints; so a secret an API echoes back (in an error, or in an object's fields) is shown
and stored as `***`. The environment's own secrets count even before anything reads them.

How long a secret must be to be masked wherever it appears: real keys and tokens are long
(`sk-...` 40+ characters, Azure tokens hundreds); short values are placeholders that
compatible servers accept ("dummy", "EMPTY", "sk-local") or weak passwords ("postgres"),
which as plain words would mask parts of ids, names and hints for no protection. A short
secret is still masked where it stands as a credential: `password=...`, `user:...@`,
`Bearer ...`, `api_key=...`.
"""

from __future__ import annotations

import json
import os
import re
import threading

MASK = "***"
MIN_LENGTH = 12  # shorter secrets are masked only where they stand as credentials (see above)
# In stored documents (state, plans) content must stay as it is: only secrets this long are
# masked there. Keys and tokens are far longer; a weak DSN password could match content.
STORED_MIN_LENGTH = 16
ENV_SECRETS = ("OPENAI_API_KEY", "ASSISTPLAN_AZURE_TOKEN")
# What precedes a secret used as a credential (group 1 is kept), case-insensitively.
_CREDENTIAL_BEFORE = r"(password\s*[=:]\s*['\"]?|bearer\s+|api[_-]?key\s*[=:]\s*['\"]?|://[^\s/@:]*:)"

_lock = threading.Lock()
_known: dict[str, int] = {}  # spelling -> length of the secret it spells
_ordered: tuple[tuple[str, int], ...] = ()  # longest first: a secret inside another is masked as part of it
_in_context: dict[str, re.Pattern[str]] = {}  # spelling -> where it stands as a credential


def register(*values: str | None) -> None:
    """Remember secrets (None and empty values are ignored), in their JSON-escaped spelling too."""
    global _ordered
    fresh: dict[str, int] = {}
    for value in values:
        if value:
            for spelling in (value, json.dumps(value, ensure_ascii=False)[1:-1]):
                fresh[spelling] = max(len(value), fresh.get(spelling, 0))
    with _lock:
        if all(_known.get(s, -1) >= n for s, n in fresh.items()):
            return
        for spelling, length in fresh.items():
            _known[spelling] = max(length, _known.get(spelling, 0))
            _in_context[spelling] = re.compile(
                _CREDENTIAL_BEFORE + re.escape(spelling) + r"(?![\w.~+/=-])", re.IGNORECASE
            )
        _ordered = tuple(sorted(_known.items(), key=lambda item: len(item[0]), reverse=True))


def redact(text: str, min_length: int = MIN_LENGTH) -> str:
    """`text` with every known secret of at least `min_length` characters replaced by `***`, and
    the shorter ones where they stand as credentials."""
    register(*(os.environ.get(name, "").strip() for name in ENV_SECRETS))
    for spelling, length in _ordered:
        if spelling not in text:
            continue
        if length >= min_length:
            text = text.replace(spelling, MASK)
        else:
            text = _in_context[spelling].sub(lambda m: m.group(1) + MASK, text)
    return text


def redact_stored(text: str) -> str:
    """A document to store (state, journal record, plan file) without the secrets it may hold."""
    return redact(text, STORED_MIN_LENGTH)
