"""The postgres backend's tables (see postgres.py for what each holds), created on first use."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from assistplan.errors import StateError

if TYPE_CHECKING:
    import psycopg

SCHEMA_SQL = (
    """CREATE TABLE IF NOT EXISTS assistplan_states (
        workspace   text PRIMARY KEY,
        lineage     text NOT NULL,
        serial      bigint NOT NULL,
        document    text NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
    )""",
    """CREATE TABLE IF NOT EXISTS assistplan_state_history (
        workspace   text NOT NULL,
        serial      bigint NOT NULL,
        lineage     text NOT NULL,
        document    text NOT NULL,
        written_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (workspace, serial)
    )""",
    """CREATE TABLE IF NOT EXISTS assistplan_state_changes (
        workspace   text NOT NULL,
        serial      bigint NOT NULL,
        lineage     text NOT NULL,
        change      text NOT NULL,
        written_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (workspace, serial)
    )""",
    """CREATE TABLE IF NOT EXISTS assistplan_locks (
        workspace   text PRIMARY KEY,
        lock_id     text NOT NULL,
        info        jsonb NOT NULL,
        created     timestamptz NOT NULL DEFAULT clock_timestamp(),
        db_pid      integer
    )""",
)
TABLES = ("assistplan_states", "assistplan_state_changes", "assistplan_state_history", "assistplan_locks")
_DDL_LOCK_KEY = int.from_bytes(hashlib.sha256(b"assistplan schema").digest()[:8], "big", signed=True)
_SCHEMA_READY: set[str] = set()  # digests of the DSNs whose tables this process has seen


def load_psycopg() -> Any:
    """Import psycopg on first use: importing assistplan.state must stay cheap."""
    try:
        import psycopg
    except ImportError:
        raise StateError(
            "the postgres state backend needs psycopg 3: pip install 'psycopg[binary]>=3.2,<4'"
        ) from None
    return psycopg


def ensure_schema(conn: psycopg.Connection[Any], dsn: str) -> None:
    """Create the tables if missing; concurrent first uses serialise on an advisory lock."""
    key = hashlib.sha256(dsn.encode()).hexdigest()
    if key in _SCHEMA_READY:
        return
    with conn.transaction():
        row = conn.execute(
            "SELECT " + " AND ".join(f"to_regclass('{t}') IS NOT NULL" for t in TABLES)
        ).fetchone()
        if not (row and row[0]):
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_DDL_LOCK_KEY,))
            for statement in SCHEMA_SQL:
                conn.execute(statement)
    _SCHEMA_READY.add(key)
