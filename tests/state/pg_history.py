"""What the postgres backend keeps of earlier documents (`assistplan_state_history`), read with
plain SQL as a person recovering a state would: assistplan itself never reads it back."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from assistplan.state import State


def _rows(dsn: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(dsn) as conn:
        return conn.execute(sql, params).fetchall()


def history(dsn: str, workspace: str, limit: int | None = None) -> list[tuple[int, datetime]]:
    """(serial, written_at) of every stored version, newest first (the current one included)."""
    rows = _rows(
        dsn,
        "SELECT serial, written_at FROM assistplan_state_history WHERE workspace = %s "
        "ORDER BY serial DESC LIMIT %s",
        workspace,
        limit,
    )
    return [(int(serial), when) for serial, when in rows]


def serials(dsn: str, workspace: str) -> list[int]:
    return [serial for serial, _ in history(dsn, workspace)]


def version(dsn: str, workspace: str, serial: int) -> State | None:
    """The document as written with `serial`, None if it is not (or no longer) in the history."""
    rows = _rows(
        dsn,
        "SELECT document FROM assistplan_state_history WHERE workspace = %s AND serial = %s",
        workspace,
        serial,
    )
    return State.from_json(json.loads(rows[0][0])) if rows else None


def previous(dsn: str, workspace: str) -> State | None:
    """The newest stored version older than the current one (what the last write replaced)."""
    rows = _rows(
        dsn,
        "SELECT h.document FROM assistplan_state_history h "
        "JOIN assistplan_states s ON s.workspace = h.workspace "
        "WHERE h.workspace = %s AND h.serial < s.serial ORDER BY h.serial DESC LIMIT 1",
        workspace,
    )
    return State.from_json(json.loads(rows[0][0])) if rows else None
