"""The postgres state backend: states of many workspaces in one PostgreSQL database.

`state: {backend: postgres, workspace: NAME}` in the config; the DSN comes from the environment
(`ASSISTPLAN_PG_DSN`, read by `factory.open_backend`), never from the config file.

Tables (created on first use, see `SCHEMA_SQL`; in the first schema of the DSN's search_path):

- `assistplan_states`          one row per workspace: the document as last written whole, its
                               lineage and serial.
- `assistplan_state_changes`   the journal: one row per change appended since (journal.py), keyed
                               by (workspace, serial); the current state is the document with
                               these replayed in serial order.
- `assistplan_state_history`   one row per whole document ever written (each `write` and
                               `compact`), the current one included; a write drops versions
                               `history_limit` or more serials older than itself (default 200;
                               None keeps every one).
- `assistplan_locks`           one row per locked workspace: the holder's `LockInfo`.

Invariants:

- Writes are atomic: a whole write changes the document row, its history row and the journal
  in one transaction; an append is one row; readers see one snapshot (one statement), never
  a mix.
- Serials only grow: `write` refuses (StateError) a document whose serial is not greater than
  the stored one (journal included), and `append` a change that is not the very next serial,
  checked in the same transaction with the document row locked. Two runs that both read
  serial N and write N+1 cannot both succeed, with or without the lock: no write is ever
  silently lost. `compact` writes the current state as the document at the journal's last
  serial and empties the journal.
- Fencing: a write by a backend that holds a lock fails if that lock is no longer the
  workspace's lock (it was force-unlocked); a write by a backend without the lock fails while
  another run holds it. The check and the write happen in one transaction, and the lock row is
  share-locked meanwhile, so an unlock/force-unlock cannot slip in between.
- Locks (see `lock`) hold across processes and machines: the row in `assistplan_locks` is the
  lock. It is never broken automatically, not even when its holder died: that takes
  `force_unlock(ID)`, as with Terraform's local backend. While holding it, the holder also
  keeps a session-level advisory lock keyed by the lock id on a dedicated connection; that
  advisory lock ends with the holder's database session, which lets waiters tell a dead holder
  from a slow one and stop waiting at once.
- No secret in any message: `describe()` and every error name host, port, database and
  workspace only. psycopg errors (whose text can echo parts of the DSN) are re-raised as
  StateError with the password scrubbed and without the original exception attached.

Connection poolers in transaction mode (e.g. pgbouncer `pool_mode=transaction`) break session
advisory locks and LISTEN: point the DSN at PostgreSQL itself or at a session-mode pool.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, quote_plus

from assistplan import secrets
from assistplan.errors import LockError, Message, StateError, command
from assistplan.state import journal
from assistplan.state.base import Clock, LockInfo, OnLockWait
from assistplan.state.journal import Change
from assistplan.state.model import State

if TYPE_CHECKING:
    import psycopg

__all__ = ["DEFAULT_HISTORY_LIMIT", "SCHEMA_SQL", "PostgresBackend"]

DEFAULT_HISTORY_LIMIT = 200

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
_TABLES = ("assistplan_states", "assistplan_state_changes", "assistplan_state_history", "assistplan_locks")
_NOTIFY_CHANNEL = "assistplan_state_locks"
_DDL_LOCK_KEY = int.from_bytes(hashlib.sha256(b"assistplan schema").digest()[:8], "big", signed=True)
_CONNECT_DEFAULTS = {"connect_timeout": "10", "application_name": "assistplan"}
_FIRST_DELAY = 0.02
_MAX_DELAY = 0.25

_T = TypeVar("_T")

# Lock sessions of this process, by lock id: the dedicated connection that holds the lock's
# advisory lock. Kept here, not on the backend object, so the lock outlives the object that
# took it and any backend object in this process that unlocks it also ends its session.
_SESSIONS: dict[str, psycopg.Connection[Any]] = {}
_SESSIONS_GUARD = threading.Lock()
_SCHEMA_READY: set[str] = set()


def _psycopg() -> Any:
    """Import psycopg on first use: importing assistplan.state must stay cheap."""
    try:
        import psycopg
    except ImportError:
        raise StateError(
            "the postgres state backend needs psycopg 3: pip install 'psycopg[binary]>=3.2,<4'"
        ) from None
    return psycopg


def _advisory_key(lock_id: str) -> int:
    """The 64-bit advisory lock key of a lock id (unique per lock, so never contended by takers)."""
    digest = hashlib.sha256(f"assistplan lock {lock_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresBackend:
    """The state of `workspace` in the database of `dsn` (see the module docstring for invariants).

    Thread-safe: one connection per backend object for reads and writes, used under a mutex,
    plus one connection per held lock.
    """

    def __init__(
        self,
        dsn: str,
        workspace: str = "default",
        *,
        history_limit: int | None = DEFAULT_HISTORY_LIMIT,
        clock: Clock = time.monotonic,
    ) -> None:
        """`clock` measures lock timeouts."""
        if not isinstance(workspace, str) or not workspace.strip():
            raise StateError("the postgres state backend needs a non-empty workspace name")
        if history_limit is not None and history_limit < 1:
            raise StateError("history_limit must be at least 1 (or None to keep every serial)")
        pg = _psycopg()
        try:
            params = pg.conninfo.conninfo_to_dict(dsn)
        except (pg.Error, TypeError, ValueError):
            params = None  # raised below, outside the handler: the parse error quotes the DSN
        if params is None:
            raise StateError(
                "ASSISTPLAN_PG_DSN is not a valid PostgreSQL connection string "
                "(use key=value pairs or a postgresql:// URI)"
            )
        self.workspace = workspace
        self.history_limit = history_limit
        self._dsn = dsn
        self._params = {k: str(v) for k, v in params.items() if v is not None}
        secrets.register(*_secrets_of(dsn, self._params))
        self._location = _location(self._params)
        self._conn: psycopg.Connection[Any] | None = None
        self._conn_mutex = threading.RLock()
        self._lock_id: str | None = None  # the lock this object took and has not released
        self._clock = clock

    def __repr__(self) -> str:
        return f"PostgresBackend(workspace={self.workspace!r}, location={self._location!r})"

    def __reduce__(self) -> tuple[Callable[..., PostgresBackend], tuple[Any, ...]]:
        # A pickled backend is a new backend over the same storage (no connection, no lock).
        return (_rebuild, (self._dsn, self.workspace, self.history_limit))

    def describe(self) -> str:
        """`postgres workspace NAME (host[:port]/database)`: never the password."""
        return f"postgres workspace {self.workspace} ({self._location})"

    def close(self) -> None:
        """Close this object's connection for reads and writes (locks are released by `unlock`)."""
        with self._conn_mutex:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def __enter__(self) -> PostgresBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- documents ------------------------------------------------------------------------------

    def read(self) -> State | None:
        """The current state (the document with the journal replayed), None when this workspace
        was never written."""

        def run(conn: psycopg.Connection[Any]) -> State | None:
            rows = conn.execute(  # one statement: one snapshot, even while a compaction commits
                """SELECT 0, serial, document FROM assistplan_states WHERE workspace = %s
                   UNION ALL
                   SELECT 1, c.serial, c.change FROM assistplan_state_changes c
                   JOIN assistplan_states s ON s.workspace = c.workspace
                   WHERE c.workspace = %s AND c.serial > s.serial
                   ORDER BY 1, 2""",
                (self.workspace, self.workspace),
            ).fetchall()
            if not rows:
                return None
            state = _parse(rows[0][2], self.describe())
            for _, serial, change in rows[1:]:
                record = _loads(change, f"{self.describe()} change {serial}")
                journal.replay(state, record, f"{self.describe()} change {serial}")
            return state

        return self._with_conn("read the state", run)

    def write(self, state: State) -> None:
        """Store `state` as the document, add it to the history and empty the journal, in one
        transaction.

        StateError if the stored serial (journal included) is not lower than `state.serial`
        (someone else wrote), or if the workspace's lock is not this object's lock (see the
        module docstring).
        """
        document = state.dumps()

        def run(conn: psycopg.Connection[Any]) -> None:
            with conn.transaction():
                self._check_lock_for_write(conn)
                head = self._head(conn)
                if head is not None and head[1] >= state.serial:
                    raise self._concurrent(head[1], state.serial)
                self._store_document(conn, state, document)

        self._with_conn("write the state", run)

    def append(self, change: Change) -> None:
        """Add `change` as one journal row (see `Backend.append`)."""
        text = change.dumps()

        def run(conn: psycopg.Connection[Any]) -> None:
            with conn.transaction():
                self._check_lock_for_write(conn)
                head = self._head(conn)
                if head is None:
                    raise StateError(f"cannot append to state {self.describe()}: no state document is stored")
                if head[0] != change.lineage:
                    raise StateError(
                        f"refusing a change of lineage {change.lineage} to {self.describe()}, "
                        f"which holds lineage {head[0]}"
                    )
                if change.serial != head[1] + 1:
                    raise self._concurrent(head[1], change.serial)
                conn.execute(
                    """INSERT INTO assistplan_state_changes (workspace, serial, lineage, change)
                       VALUES (%s, %s, %s, %s)""",
                    (self.workspace, change.serial, change.lineage, text),
                )

        self._with_conn("append to the state", run)

    def compact(self, state: State) -> None:
        """Store `state` as the document at the journal's last serial, and empty the journal
        (see `Backend.compact`); nothing when the journal is empty."""

        def run(conn: psycopg.Connection[Any]) -> None:
            with conn.transaction():
                self._check_lock_for_write(conn)
                row = conn.execute(
                    "SELECT max(serial) FROM assistplan_state_changes WHERE workspace = %s",
                    (self.workspace,),
                ).fetchone()
                if row is None or row[0] is None:
                    return
                head = self._head(conn)
                if head is None or head != (state.lineage, state.serial):
                    raise StateError(
                        f"refusing to compact {self.describe()} (serial {head[1] if head else '?'}) "
                        f"with a state of serial {state.serial}"
                    )
                self._store_document(conn, state, state.dumps())

        self._with_conn("compact the state", run)

    def _head(self, conn: psycopg.Connection[Any]) -> tuple[str, int] | None:
        """(lineage, current serial) with the document row locked until the transaction ends."""
        row = conn.execute(
            "SELECT lineage, serial FROM assistplan_states WHERE workspace = %s FOR UPDATE", (self.workspace,)
        ).fetchone()
        if row is None:
            return None
        last = conn.execute(
            "SELECT max(serial) FROM assistplan_state_changes WHERE workspace = %s AND serial > %s",
            (self.workspace, row[1]),
        ).fetchone()
        return str(row[0]), int(last[0] if last and last[0] is not None else row[1])

    def _concurrent(self, stored: int, writing: int) -> StateError:
        return StateError(
            f"state {self.describe()} changed concurrently (serial {stored} stored, writing {writing}): "
            "another run wrote it; run the command again"
        )

    def _store_document(self, conn: psycopg.Connection[Any], state: State, document: str) -> None:
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
            (self.workspace, state.lineage, state.serial, document),
        ).fetchone()
        if row is None:  # a first write that raced another first write
            stored = conn.execute(
                "SELECT serial FROM assistplan_states WHERE workspace = %s", (self.workspace,)
            ).fetchone()
            raise self._concurrent(stored[0] if stored else -1, state.serial)
        conn.execute(
            "DELETE FROM assistplan_state_changes WHERE workspace = %s AND serial <= %s",
            (self.workspace, state.serial),
        )
        conn.execute(
            """INSERT INTO assistplan_state_history (workspace, serial, lineage, document)
               VALUES (%s, %s, %s, %s)
               ON CONFLICT (workspace, serial) DO UPDATE SET document = EXCLUDED.document""",
            (self.workspace, state.serial, state.lineage, document),
        )
        if self.history_limit is not None:
            conn.execute(
                """DELETE FROM assistplan_state_history
                   WHERE workspace = %s AND serial <= %s""",
                (self.workspace, state.serial - self.history_limit),
            )

    # -- lock -----------------------------------------------------------------------------------

    def lock(self, operation: str, timeout: float, on_wait: OnLockWait | None = None) -> LockInfo:
        """Take the workspace's lock, waiting up to `timeout` seconds; LockError names the holder.

        Waiters are woken by a NOTIFY when a lock is released, and poll as a fallback. The lock
        is never broken: if its holder's database session is gone (the run died, or lost its
        connection), the LockError comes at once and says so; `force_unlock(ID)` frees it.
        `on_wait(holder)` hears once that we wait for a holder.
        """
        info = LockInfo.new(operation)
        conn = self._connect("lock the state")
        inserted = False
        try:
            self._ensure_schema(conn)
            conn.execute("SELECT pg_advisory_lock(%s)", (_advisory_key(info.id),))
            conn.execute(f"LISTEN {_NOTIFY_CHANNEL}")
            deadline = self._clock() + max(0.0, timeout)
            delay = _FIRST_DELAY
            while True:
                inserted = self._try_insert_lock(conn, info)
                if inserted:
                    conn.execute(f"UNLISTEN {_NOTIFY_CHANNEL}")
                    break
                holder = self._holder(conn)
                if holder is None:
                    continue  # released between our attempt and our look: try again at once
                if self._holder_session_gone(conn, holder):
                    raise LockError(self._dead_message(holder))
                remaining = deadline - self._clock()
                if remaining <= 0:
                    raise LockError(self._held_message(holder, timeout))
                if on_wait is not None:
                    on_wait(holder.describe())
                    on_wait = None
                wait = min(remaining, delay * random.uniform(0.5, 1.0))
                for _ in conn.notifies(timeout=wait, stop_after=1):
                    pass
                delay = min(_MAX_DELAY, delay * 2)
        except _psycopg().Error as exc:
            self._abandon(conn, info.id if inserted else None)
            error: StateError | None = self._error("lock the state", exc)
        except BaseException:  # e.g. KeyboardInterrupt: leave no lock behind
            self._abandon(conn, info.id if inserted else None)
            raise
        else:
            error = None
        if error is not None:
            raise error  # outside the handler, so the psycopg error is not attached as context
        with _SESSIONS_GUARD:
            _SESSIONS[info.id] = conn
        self._lock_id = info.id
        return info

    def unlock(self, lock: LockInfo) -> None:
        """Release `lock` if it is the workspace's current lock; LockError if gone or someone else's."""

        def run(conn: psycopg.Connection[Any]) -> None:
            with conn.transaction():
                if self._delete_lock(conn, lock.id):
                    return
                holder = self._holder(conn)
            if holder is None:
                raise LockError(
                    f"cannot unlock state {self.describe()}: lock {lock.id} is no longer held "
                    "(was it force-unlocked?)"
                )
            raise LockError(
                f"cannot unlock state {self.describe()}: lock {lock.id} is not the current lock; "
                f"current lock is {holder.describe()}"
            )

        try:
            self._with_conn("unlock the state", run)
        finally:
            if self._lock_id == lock.id:
                self._lock_id = None
            _end_session(lock.id)

    def force_unlock(self, lock_id: str) -> None:
        """Release the workspace's lock whoever holds it, provided its id is `lock_id`."""

        def run(conn: psycopg.Connection[Any]) -> None:
            with conn.transaction():
                if self._delete_lock(conn, lock_id):
                    return
                holder = self._holder(conn)
            if holder is None:
                raise LockError(f"state {self.describe()} is not locked")
            raise LockError(
                f"no lock with id {lock_id} on state {self.describe()}; current lock is {holder.describe()}"
            )

        self._with_conn("force-unlock the state", run)
        _end_session(lock_id)

    def lock_holder(self) -> LockInfo | None:
        """The current lock of the workspace, None when unlocked."""
        return self._with_conn("read the state lock", self._holder)

    # -- internals: lock ------------------------------------------------------------------------

    def _abandon(self, conn: psycopg.Connection[Any], lock_id: str | None) -> None:
        """Best effort after a failed `lock`: remove the row we inserted (if any), end the session."""
        try:
            if lock_id is not None and not conn.closed and not conn.broken:
                with conn.transaction():
                    self._delete_lock(conn, lock_id)
        except Exception:  # the original error is what matters
            pass
        finally:
            conn.close()

    def _try_insert_lock(self, conn: psycopg.Connection[Any], info: LockInfo) -> bool:
        jsonb = _psycopg().types.json.Jsonb
        row = conn.execute(
            """INSERT INTO assistplan_locks (workspace, lock_id, info, db_pid)
               VALUES (%s, %s, %s, pg_backend_pid())
               ON CONFLICT (workspace) DO NOTHING
               RETURNING lock_id""",
            (self.workspace, info.id, jsonb(info.to_json())),
        ).fetchone()
        return row is not None

    def _holder(self, conn: psycopg.Connection[Any]) -> LockInfo | None:
        row = conn.execute(
            "SELECT lock_id, info, created FROM assistplan_locks WHERE workspace = %s", (self.workspace,)
        ).fetchone()
        if row is None:
            return None
        lock_id, info, created = row
        try:
            holder = LockInfo.from_json(info if isinstance(info, dict) else json.loads(info))
        except (TypeError, ValueError, KeyError):
            holder = LockInfo(id=lock_id, operation="unknown", who="unknown", created=created.timestamp())
        if holder.id != lock_id:  # the row's id is the one that counts
            holder = LockInfo(**{**holder.to_json(), "id": lock_id})
        return holder

    def _holder_session_gone(self, conn: psycopg.Connection[Any], holder: LockInfo) -> bool:
        """True if `holder` is still the lock but its advisory lock is free: its session ended.

        The holder takes its advisory lock before inserting the row and deletes the row before
        ending its session, so "row present and advisory lock free" means the session ended
        without releasing; the row is re-read while we hold the advisory lock to rule out a
        release in between.
        """
        with conn.transaction():
            row = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (_advisory_key(holder.id),)).fetchone()
            if not row or not row[0]:
                return False
            still = conn.execute(
                "SELECT 1 FROM assistplan_locks WHERE workspace = %s AND lock_id = %s",
                (self.workspace, holder.id),
            ).fetchone()
            return still is not None

    def _delete_lock(self, conn: psycopg.Connection[Any], lock_id: str) -> bool:
        row = conn.execute(
            "DELETE FROM assistplan_locks WHERE workspace = %s AND lock_id = %s RETURNING lock_id",
            (self.workspace, lock_id),
        ).fetchone()
        if row is None:
            return False
        conn.execute("SELECT pg_notify(%s, %s)", (_NOTIFY_CHANNEL, self.workspace))
        return True

    def _check_lock_for_write(self, conn: psycopg.Connection[Any]) -> None:
        """Fencing, inside the write's transaction (see the module docstring)."""
        row = conn.execute(
            "SELECT lock_id FROM assistplan_locks WHERE workspace = %s FOR SHARE", (self.workspace,)
        ).fetchone()
        current = None if row is None else row[0]
        if current == self._lock_id:
            return
        holder = self._holder(conn)
        if self._lock_id is not None:
            now = "it is not locked now" if holder is None else f"current lock is {holder.describe()}"
            raise LockError(
                f"refusing to write state {self.describe()}: this run's lock {self._lock_id} was released "
                f"or force-unlocked while it ran ({now}); the state was not written"
            )
        if holder is not None:
            raise LockError(
                f"refusing to write state {self.describe()}: it is locked by another run: "
                f"{holder.describe()}; the state was not written"
            )

    def _held_message(self, holder: LockInfo, timeout: float) -> str:
        waited = f" (waited {timeout:g}s)" if timeout > 0 else ""
        return Message(
            f"state {self.describe()} is locked by another run{waited}: {holder.describe()}; "
            "wait for it, or run `",
            command("force-unlock", holder.id),
            "` if it is dead",
        )

    def _dead_message(self, holder: LockInfo) -> str:
        return Message(
            f"state {self.describe()} is locked by a run that is no longer connected: {holder.describe()}; "
            "its database session has ended (the run died or lost its connection); if no other run is "
            "using this state, run `",
            command("force-unlock", holder.id),
            "`",
        )

    # -- internals: connections -----------------------------------------------------------------

    def _connect(self, doing: str) -> psycopg.Connection[Any]:
        pg = _psycopg()
        extra = {k: v for k, v in _CONNECT_DEFAULTS.items() if k not in self._params}
        try:
            conn: psycopg.Connection[Any] = pg.connect(self._dsn, autocommit=True, **extra)
            return conn
        except pg.Error as exc:
            error = self._error(doing, exc)
        raise error  # outside the handler, so the psycopg error (it may quote the DSN) is not attached

    def _with_conn(self, doing: str, run: Callable[[psycopg.Connection[Any]], _T]) -> _T:
        """Run `run` on this object's connection (made, and the schema ensured, on first use)."""
        pg = _psycopg()
        with self._conn_mutex:
            try:
                if self._conn is None or self._conn.closed or self._conn.broken:
                    conn = self._connect(doing)
                    try:
                        self._ensure_schema(conn)
                    except BaseException:
                        conn.close()
                        raise
                    self._conn = conn
                return run(self._conn)
            except pg.Error as exc:
                if self._conn is not None and self._conn.broken:
                    self._conn.close()
                    self._conn = None
                error = self._error(doing, exc)
            raise error  # outside the handler: no psycopg error attached as context

    def _ensure_schema(self, conn: psycopg.Connection[Any]) -> None:
        """Create the tables if missing; concurrent first uses serialise on an advisory lock."""
        key = hashlib.sha256(self._dsn.encode()).hexdigest()
        if key in _SCHEMA_READY:
            return
        with conn.transaction():
            row = conn.execute(
                "SELECT " + " AND ".join(f"to_regclass('{t}') IS NOT NULL" for t in _TABLES)
            ).fetchone()
            if not (row and row[0]):
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_DDL_LOCK_KEY,))
                for statement in SCHEMA_SQL:
                    conn.execute(statement)
        _SCHEMA_READY.add(key)

    def _error(self, doing: str, exc: BaseException) -> StateError:
        """A StateError for a psycopg error, naming location and workspace, password scrubbed.

        Callers raise it outside their `except` block, so it carries no `__context__`.
        """
        reason = secrets.redact(" ".join(line.strip() for line in str(exc).splitlines() if line.strip()))
        reason = reason or type(exc).__name__
        return StateError(f"cannot {doing} in {self.describe()}: {reason}")


def _loads(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateError(f"{source}: corrupt state document (not JSON: {exc.msg})") from None
    except RecursionError:
        raise StateError(f"{source}: corrupt state document (nested too deeply)") from None


def _parse(document: str, source: str) -> State:
    """A stored document as a State; StateError naming `source` if it is not one."""
    return State.from_json(_loads(document, source), source=source)


def _rebuild(dsn: str, workspace: str, history_limit: int | None) -> PostgresBackend:
    return PostgresBackend(dsn, workspace, history_limit=history_limit)


def _end_session(lock_id: str) -> None:
    """Close this process's session of `lock_id` (ending its advisory lock), if there is one."""
    with _SESSIONS_GUARD:
        conn = _SESSIONS.pop(lock_id, None)
    if conn is not None:
        try:
            conn.close()
        except Exception:  # the row is gone already; a dead socket is fine
            pass


def _secrets_of(dsn: str, params: dict[str, str]) -> list[str]:
    """Strings that must never appear in a message: the DSN and its password in every spelling."""
    found = {dsn.strip()}
    password = params.get("password")
    if password:
        found |= {password, quote(password, safe=""), quote_plus(password), quote(password)}
    return sorted((s for s in found if s), key=len, reverse=True)


def _location(params: dict[str, str]) -> str:
    """`host[:port]/database` from the connection parameters (libpq's defaults when absent)."""
    host = params.get("host") or params.get("hostaddr") or "local socket"
    port = params.get("port")
    database = params.get("dbname") or params.get("user") or "default database"
    return f"{host}{':' + port if port else ''}/{database}"
