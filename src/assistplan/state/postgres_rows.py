"""The postgres backend's document, journal and history rows (see postgres.py for the
invariants). Each function runs its statements on the connection, and inside the transaction,
it is given; `where` (the backend's `describe()`) names the state in errors."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from assistplan.errors import StateError
from assistplan.state import journal
from assistplan.state.model import State

if TYPE_CHECKING:
    import psycopg


def read_state(conn: psycopg.Connection[Any], workspace: str, where: str) -> State | None:
    """The document with the journal replayed, None when the workspace was never written."""
    rows = conn.execute(  # one statement: one snapshot, even while a compaction commits
        """SELECT 0, serial, document FROM assistplan_states WHERE workspace = %s
           UNION ALL
           SELECT 1, c.serial, c.change FROM assistplan_state_changes c
           JOIN assistplan_states s ON s.workspace = c.workspace
           WHERE c.workspace = %s AND c.serial > s.serial
           ORDER BY 1, 2""",
        (workspace, workspace),
    ).fetchall()
    if not rows:
        return None
    state = State.from_json(_loads(rows[0][2], where), source=where)
    for _, serial, change in rows[1:]:
        record = _loads(change, f"{where} change {serial}")
        journal.replay(state, record, f"{where} change {serial}")
    return state


def head(conn: psycopg.Connection[Any], workspace: str) -> tuple[str, int] | None:
    """(lineage, current serial) with the document row locked until the transaction ends."""
    row = conn.execute(
        "SELECT lineage, serial FROM assistplan_states WHERE workspace = %s FOR UPDATE", (workspace,)
    ).fetchone()
    if row is None:
        return None
    last = conn.execute(
        "SELECT max(serial) FROM assistplan_state_changes WHERE workspace = %s AND serial > %s",
        (workspace, row[1]),
    ).fetchone()
    return str(row[0]), int(last[0] if last and last[0] is not None else row[1])


def has_changes(conn: psycopg.Connection[Any], workspace: str) -> bool:
    """Whether the journal holds any change."""
    row = conn.execute(
        "SELECT max(serial) FROM assistplan_state_changes WHERE workspace = %s", (workspace,)
    ).fetchone()
    return row is not None and row[0] is not None


def insert_change(conn: psycopg.Connection[Any], workspace: str, change: journal.Change) -> None:
    conn.execute(
        """INSERT INTO assistplan_state_changes (workspace, serial, lineage, change)
           VALUES (%s, %s, %s, %s)""",
        (workspace, change.serial, change.lineage, change.dumps()),
    )


def concurrent(where: str, stored: int, writing: int) -> StateError:
    return StateError(
        f"state {where} changed concurrently (serial {stored} stored, writing {writing}): "
        "another run wrote it; run the command again"
    )


def store_document(
    conn: psycopg.Connection[Any],
    workspace: str,
    state: State,
    document: str,
    history_limit: int | None,
    where: str,
) -> None:
    """Inside a transaction holding the document row: the new document, its history row, and
    a journal emptied up to its serial."""
    row = conn.execute(
        """INSERT INTO assistplan_states AS s (workspace, lineage, serial, document, updated_at)
           VALUES (%s, %s, %s, %s, clock_timestamp())
           ON CONFLICT (workspace) DO UPDATE
               SET lineage = EXCLUDED.lineage, serial = EXCLUDED.serial,
                   document = EXCLUDED.document, updated_at = EXCLUDED.updated_at
               WHERE s.serial < EXCLUDED.serial
           RETURNING serial""",
        (workspace, state.lineage, state.serial, document),
    ).fetchone()
    if row is None:  # a first write that raced another first write
        stored = conn.execute(
            "SELECT serial FROM assistplan_states WHERE workspace = %s", (workspace,)
        ).fetchone()
        raise concurrent(where, stored[0] if stored else -1, state.serial)
    conn.execute(
        "DELETE FROM assistplan_state_changes WHERE workspace = %s AND serial <= %s",
        (workspace, state.serial),
    )
    conn.execute(
        """INSERT INTO assistplan_state_history (workspace, serial, lineage, document)
           VALUES (%s, %s, %s, %s)
           ON CONFLICT (workspace, serial) DO UPDATE SET document = EXCLUDED.document""",
        (workspace, state.serial, state.lineage, document),
    )
    if history_limit is not None:
        conn.execute(
            """DELETE FROM assistplan_state_history
               WHERE workspace = %s AND serial <= %s""",
            (workspace, state.serial - history_limit),
        )


def _loads(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateError(f"{source}: corrupt state document (not JSON: {exc.msg})") from None
    except RecursionError:
        raise StateError(f"{source}: corrupt state document (nested too deeply)") from None
