"""Small helpers shared by the schema and semantic checks to word diagnostics."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True, order=True)
class Finding:
    """A problem at a path in the document; `at_key` points at the mapping key instead of the value."""

    path: tuple[str | int, ...]
    message: str
    at_key: bool = False


def where(path: Sequence[str | int]) -> str:
    """`assistants.hr-bot.tools[2].function`; "the top level" for the root."""
    if not path:
        return "the top level"
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


def short(value: Any, limit: int = 40) -> str:
    """A value for a message: quoted strings, truncated."""
    if isinstance(value, str):
        return repr(value if len(value) <= limit else value[: limit - 3] + "...")
    text = str(value)
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, dict | list):
        text = "a mapping" if isinstance(value, dict) else "a list"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def kind_of(value: Any) -> str:
    """The YAML kind of a value, with an article ("a mapping")."""
    if value is None:
        return "null (an empty value)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean (true or false)",
    "null": "null",
}


def join_or(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def hint(word: str, candidates: Iterable[str], list_all: bool = True) -> str:
    """ "; did you mean 'x'?" or " (expected one of: a, b)" or ""."""
    candidates = list(candidates)
    match = did_you_mean(word, candidates)
    if match is not None:
        return f"; did you mean '{match}'?"
    if list_all and candidates and len(candidates) <= 20:
        return f" (expected one of: {', '.join(candidates)})"
    return ""
