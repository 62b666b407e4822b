"""The postgres backend's lock rows and lock sessions (see postgres.py for the invariants).

The row in `assistplan_locks` is the lock; its holder also keeps a session-level advisory lock,
keyed by the lock id, on a dedicated connection (a lock session), so that waiters can tell a
dead holder from a slow one. Each function runs its statements on the connection it is given.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import TYPE_CHECKING, Any

from assistplan.errors import LockError, Message, command
from assistplan.state.base import LockInfo
from assistplan.state.postgres_schema import load_psycopg

if TYPE_CHECKING:
    import psycopg

NOTIFY_CHANNEL = "assistplan_state_locks"

# Lock sessions of this process, by lock id: the dedicated connection that holds the lock's
# advisory lock. Kept here, not on the backend object, so the lock outlives the object that
# took it and any backend object in this process that unlocks it also ends its session.
_SESSIONS: dict[str, psycopg.Connection[Any]] = {}
_SESSIONS_GUARD = threading.Lock()


def advisory_key(lock_id: str) -> int:
    """The 64-bit advisory lock key of a lock id (unique per lock, so never contended by takers)."""
    digest = hashlib.sha256(f"assistplan lock {lock_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def keep_session(lock_id: str, conn: psycopg.Connection[Any]) -> None:
    """Keep `conn` open as the session of `lock_id` until `end_session`."""
    with _SESSIONS_GUARD:
        _SESSIONS[lock_id] = conn


def end_session(lock_id: str) -> None:
    """Close this process's session of `lock_id` (ending its advisory lock), if there is one."""
    with _SESSIONS_GUARD:
        conn = _SESSIONS.pop(lock_id, None)
    if conn is not None:
        try:
            conn.close()
        except Exception:  # the row is gone already; a dead socket is fine
            pass


def try_insert_lock(conn: psycopg.Connection[Any], workspace: str, info: LockInfo) -> bool:
    jsonb = load_psycopg().types.json.Jsonb
    row = conn.execute(
        """INSERT INTO assistplan_locks (workspace, lock_id, info, db_pid)
           VALUES (%s, %s, %s, pg_backend_pid())
           ON CONFLICT (workspace) DO NOTHING
           RETURNING lock_id""",
        (workspace, info.id, jsonb(info.to_json())),
    ).fetchone()
    return row is not None


def holder(conn: psycopg.Connection[Any], workspace: str) -> LockInfo | None:
    """The workspace's current lock, None when unlocked."""
    row = conn.execute(
        "SELECT lock_id, info, created FROM assistplan_locks WHERE workspace = %s", (workspace,)
    ).fetchone()
    if row is None:
        return None
    lock_id, info, created = row
    try:
        found = LockInfo.from_json(info if isinstance(info, dict) else json.loads(info))
    except (TypeError, ValueError, KeyError):
        found = LockInfo(id=lock_id, operation="unknown", who="unknown", created=created.timestamp())
    if found.id != lock_id:  # the row's id is the one that counts
        found = LockInfo(**{**found.to_json(), "id": lock_id})
    return found


def holder_session_gone(conn: psycopg.Connection[Any], workspace: str, lock: LockInfo) -> bool:
    """True if `lock` is still the lock but its advisory lock is free: its session ended.

    The holder takes its advisory lock before inserting the row and deletes the row before
    ending its session, so "row present and advisory lock free" means the session ended
    without releasing; the row is re-read while we hold the advisory lock to rule out a
    release in between.
    """
    with conn.transaction():
        row = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (advisory_key(lock.id),)).fetchone()
        if not row or not row[0]:
            return False
        still = conn.execute(
            "SELECT 1 FROM assistplan_locks WHERE workspace = %s AND lock_id = %s",
            (workspace, lock.id),
        ).fetchone()
        return still is not None


def delete_lock(conn: psycopg.Connection[Any], workspace: str, lock_id: str) -> bool:
    """Remove the lock row if it is `lock_id`'s, waking the waiters; False if it is not."""
    row = conn.execute(
        "DELETE FROM assistplan_locks WHERE workspace = %s AND lock_id = %s RETURNING lock_id",
        (workspace, lock_id),
    ).fetchone()
    if row is None:
        return False
    conn.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, workspace))
    return True


def check_lock_for_write(
    conn: psycopg.Connection[Any], workspace: str, own_lock: str | None, where: str
) -> None:
    """Fencing, inside the write's transaction (see postgres.py): LockError unless the
    workspace's lock is `own_lock` (None: unlocked), the lock row share-locked meanwhile."""
    row = conn.execute(
        "SELECT lock_id FROM assistplan_locks WHERE workspace = %s FOR SHARE", (workspace,)
    ).fetchone()
    current = None if row is None else row[0]
    if current == own_lock:
        return
    now_held = holder(conn, workspace)
    if own_lock is not None:
        now = "it is not locked now" if now_held is None else f"current lock is {now_held.describe()}"
        raise LockError(
            f"refusing to write state {where}: this run's lock {own_lock} was released "
            f"or force-unlocked while it ran ({now}); the state was not written"
        )
    if now_held is not None:
        raise LockError(
            f"refusing to write state {where}: it is locked by another run: "
            f"{now_held.describe()}; the state was not written"
        )


def held_message(where: str, lock: LockInfo, timeout: float) -> str:
    waited = f" (waited {timeout:g}s)" if timeout > 0 else ""
    return Message(
        f"state {where} is locked by another run{waited}: {lock.describe()}; wait for it, or run `",
        command("force-unlock", lock.id),
        "` if it is dead",
    )


def dead_message(where: str, lock: LockInfo) -> str:
    return Message(
        f"state {where} is locked by a run that is no longer connected: {lock.describe()}; "
        "its database session has ended (the run died or lost its connection); if no other run is "
        "using this state, run `",
        command("force-unlock", lock.id),
        "`",
    )
