"""What every operation handler shares: the call object, ids, and cursor-paginated lists."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from werkzeug.wrappers import Request

from .errors import invalid
from .ordered import OrderedIndex
from .store import Record, Store

Body = dict[str, Any]
_ALPHABET = string.ascii_letters + string.digits


@dataclass
class Call:
    """One API request as a handler sees it. ``body`` is the parsed JSON object (``{}`` when
    the request had none); ``now`` is the request's wall-clock time."""

    store: Store
    request: Request
    args: dict[str, str]
    body: Body
    processing_ms: float
    now: float

    @cached_property
    def query(self) -> dict[str, str]:
        """Each query parameter's first value. (A werkzeug MultiDict answers ``get`` of a missing
        name by raising and catching an HTTP exception: a list call asks for four that are.)"""
        return dict(self.request.args.items())

    @property
    def created_at(self) -> int:
        return int(self.now)


def new_id(prefix: str, length: int = 24) -> str:
    """An id shaped like OpenAI's: ``asst_`` + 24 alphanumerics, ``file-`` + 22, ..."""
    return prefix + "".join(_ALPHABET[byte % len(_ALPHABET)] for byte in secrets.token_bytes(length))


@dataclass(frozen=True)
class ListQuery:
    limit: int
    order: str
    after: str | None
    before: str | None


def _int_param(query: Mapping[str, str], name: str, default: int, maximum: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(
            f"Invalid type for '{name}': expected an integer, but got a string instead.",
            param=name,
            code="invalid_type",
        ) from None
    if value < 1:
        raise invalid(
            f"Invalid '{name}': integer below minimum value. Expected a value >= 1, but got {value} instead.",
            param=name,
            code="integer_below_min_value",
        )
    if value > maximum:
        raise invalid(
            f"Invalid '{name}': integer above maximum value. Expected a value <= {maximum}, "
            f"but got {value} instead.",
            param=name,
            code="integer_above_max_value",
        )
    return value


def enum_param(
    query: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str | None
) -> str | None:
    value = query.get(name) or default
    if value is not None and value not in allowed:
        supported = ", ".join(f"'{a}'" for a in allowed)
        raise invalid(
            f"Invalid value: '{value}'. Supported values are: {supported}.", param=name, code="invalid_value"
        )
    return value


def list_query(
    query: Mapping[str, str], *, max_limit: int = 100, default_limit: int = 20, before: bool = True
) -> ListQuery:
    """Parse ``limit``/``order``/``after``/``before``; the files list has no ``before`` (ignored)."""
    return ListQuery(
        limit=_int_param(query, "limit", default_limit, max_limit),
        order=enum_param(query, "order", ("asc", "desc"), "desc") or "desc",
        after=query.get("after") or None,
        before=(query.get("before") or None) if before else None,
    )


def list_page(
    index: OrderedIndex,
    params: ListQuery,
    render: Callable[[str], Record],
    keep: Callable[[str], bool] | None = None,
) -> Body:
    """A list response: ``{object, data, first_id, last_id, has_more}`` (ids null when empty)."""
    keys = {}
    for name in ("after", "before"):
        cursor = getattr(params, name)
        if cursor is not None:
            keys[name] = index.cursor_key(cursor)
            if keys[name] is None:
                raise invalid(
                    f"Invalid '{name}': no object found with id '{cursor}' in this list.",
                    param=name,
                    code="invalid_value",
                )
    page = index.page(limit=params.limit, order=params.order, keep=keep, **keys)
    data = [render(id_) for id_ in page.ids]
    return {
        "object": "list",
        "data": data,
        "first_id": page.ids[0] if page.ids else None,
        "last_id": page.ids[-1] if page.ids else None,
        "has_more": page.has_more,
    }
