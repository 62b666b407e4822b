"""The postgres state backend: states of many workspaces in one PostgreSQL database.

`state: {backend: postgres, workspace: NAME}` in the config; the DSN comes from the environment
(`ASSISTPLAN_PG_DSN`, read by `factory.open_backend`), never from the config file.

Tables (created on first use, see `postgres_schema.py`; in the first schema of the DSN's search_path):

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

import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, quote_plus

from assistplan import secrets
from assistplan.errors import LockError, StateError
from assistplan.state import postgres_lock as locks
from assistplan.state import postgres_rows as rows
from assistplan.state.base import Clock, LockInfo, OnLockWait
from assistplan.state.journal import Change
from assistplan.state.model import State
from assistplan.state.postgres_schema import SCHEMA_SQL, ensure_schema, load_psycopg

if TYPE_CHECKING:
    import psycopg

__all__ = ["DEFAULT_HISTORY_LIMIT", "SCHEMA_SQL", "PostgresBackend"]

DEFAULT_HISTORY_LIMIT = 200
_CONNECT_DEFAULTS = {"connect_timeout": "10", "application_name": "assistplan"}
_FIRST_DELAY = 0.02
_MAX_DELAY = 0.25

_T = TypeVar("_T")


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
        pg = load_psycopg()
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
            return rows.read_state(conn, self.workspace, self.describe())

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
                head = rows.head(conn, self.workspace)
                if head is not None and head[1] >= state.serial:
                    raise rows.concurrent(self.describe(), head[1], state.serial)
                self._store_document(conn, state, document)

        self._with_conn("write the state", run)

    def append(self, change: Change) -> None:
        """Add `change` as one journal row (see `Backend.append`)."""

        def run(conn: psycopg.Connection[Any]) -> None:
            with conn.transaction():
                self._check_lock_for_write(conn)
                head = rows.head(conn, self.workspace)
                if head is None:
                    raise StateError(f"cannot append to state {self.describe()}: no state document is stored")
                if head[0] != change.lineage:
                    raise StateError(
                        f"refusing a change of lineage {change.lineage} to {self.describe()}, "
                        f"which holds lineage {head[0]}"
                    )
                if change.serial != head[1] + 1:
                    raise rows.concurrent(self.describe(), head[1], change.serial)
                rows.insert_change(conn, self.workspace, change)

        self._with_conn("append to the state", run)

    def compact(self, state: State) -> None:
        """Store `state` as the document at the journal's last serial, and empty the journal
        (see `Backend.compact`); nothing when the journal is empty."""

        def run(conn: psycopg.Connection[Any]) -> None:
            with conn.transaction():
                self._check_lock_for_write(conn)
                if not rows.has_changes(conn, self.workspace):
                    return
                head = rows.head(conn, self.workspace)
                if head is None or head != (state.lineage, state.serial):
                    raise StateError(
                        f"refusing to compact {self.describe()} (serial {head[1] if head else '?'}) "
                        f"with a state of serial {state.serial}"
                    )
                self._store_document(conn, state, state.dumps())

        self._with_conn("compact the state", run)

    def _store_document(self, conn: psycopg.Connection[Any], state: State, document: str) -> None:
        rows.store_document(conn, self.workspace, state, document, self.history_limit, self.describe())

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
            conn.execute("SELECT pg_advisory_lock(%s)", (locks.advisory_key(info.id),))
            conn.execute(f"LISTEN {locks.NOTIFY_CHANNEL}")
            deadline = self._clock() + max(0.0, timeout)
            delay = _FIRST_DELAY
            while True:
                inserted = locks.try_insert_lock(conn, self.workspace, info)
                if inserted:
                    conn.execute(f"UNLISTEN {locks.NOTIFY_CHANNEL}")
                    break
                holder = locks.holder(conn, self.workspace)
                if holder is None:
                    continue  # released between our attempt and our look: try again at once
                if locks.holder_session_gone(conn, self.workspace, holder):
                    raise LockError(locks.dead_message(self.describe(), holder))
                remaining = deadline - self._clock()
                if remaining <= 0:
                    raise LockError(locks.held_message(self.describe(), holder, timeout))
                if on_wait is not None:
                    on_wait(holder.describe())
                    on_wait = None
                wait = min(remaining, delay * random.uniform(0.5, 1.0))
                for _ in conn.notifies(timeout=wait, stop_after=1):
                    pass
                delay = min(_MAX_DELAY, delay * 2)
        except load_psycopg().Error as exc:
            self._abandon(conn, info.id if inserted else None)
            error: StateError | None = self._error("lock the state", exc)
        except BaseException:  # e.g. KeyboardInterrupt: leave no lock behind
            self._abandon(conn, info.id if inserted else None)
            raise
        else:
            error = None
        if error is not None:
            raise error  # outside the handler, so the psycopg error is not attached as context
        locks.keep_session(info.id, conn)
        self._lock_id = info.id
        return info

    def unlock(self, lock: LockInfo) -> None:
        """Release `lock` if it is the workspace's current lock; LockError if gone or someone else's."""

        def run(conn: psycopg.Connection[Any]) -> None:
            with conn.transaction():
                if locks.delete_lock(conn, self.workspace, lock.id):
                    return
                holder = locks.holder(conn, self.workspace)
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
            locks.end_session(lock.id)

    def force_unlock(self, lock_id: str) -> None:
        """Release the workspace's lock whoever holds it, provided its id is `lock_id`."""

        def run(conn: psycopg.Connection[Any]) -> None:
            with conn.transaction():
                if locks.delete_lock(conn, self.workspace, lock_id):
                    return
                holder = locks.holder(conn, self.workspace)
            if holder is None:
                raise LockError(f"state {self.describe()} is not locked")
            raise LockError(
                f"no lock with id {lock_id} on state {self.describe()}; current lock is {holder.describe()}"
            )

        self._with_conn("force-unlock the state", run)
        locks.end_session(lock_id)

    def lock_holder(self) -> LockInfo | None:
        """The current lock of the workspace, None when unlocked."""
        return self._with_conn("read the state lock", lambda conn: locks.holder(conn, self.workspace))

    # -- internals: lock ------------------------------------------------------------------------

    def _abandon(self, conn: psycopg.Connection[Any], lock_id: str | None) -> None:
        """Best effort after a failed `lock`: remove the row we inserted (if any), end the session."""
        try:
            if lock_id is not None and not conn.closed and not conn.broken:
                with conn.transaction():
                    locks.delete_lock(conn, self.workspace, lock_id)
        except Exception:  # the original error is what matters
            pass
        finally:
            conn.close()

    def _check_lock_for_write(self, conn: psycopg.Connection[Any]) -> None:
        """Fencing, inside the write's transaction (see the module docstring)."""
        locks.check_lock_for_write(conn, self.workspace, self._lock_id, self.describe())

    # -- internals: connections -----------------------------------------------------------------

    def _connect(self, doing: str) -> psycopg.Connection[Any]:
        pg = load_psycopg()
        extra = {k: v for k, v in _CONNECT_DEFAULTS.items() if k not in self._params}
        try:
            conn: psycopg.Connection[Any] = pg.connect(self._dsn, autocommit=True, **extra)
            return conn
        except pg.Error as exc:
            error = self._error(doing, exc)
        raise error  # outside the handler, so the psycopg error (it may quote the DSN) is not attached

    def _with_conn(self, doing: str, run: Callable[[psycopg.Connection[Any]], _T]) -> _T:
        """Run `run` on this object's connection (made, and the schema ensured, on first use)."""
        pg = load_psycopg()
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
        ensure_schema(conn, self._dsn)

    def _error(self, doing: str, exc: BaseException) -> StateError:
        """A StateError for a psycopg error, naming location and workspace, password scrubbed.

        Callers raise it outside their `except` block, so it carries no `__context__`.
        """
        reason = secrets.redact(" ".join(line.strip() for line in str(exc).splitlines() if line.strip()))
        reason = reason or type(exc).__name__
        return StateError(f"cannot {doing} in {self.describe()}: {reason}")


def _rebuild(dsn: str, workspace: str, history_limit: int | None) -> PostgresBackend:
    return PostgresBackend(dsn, workspace, history_limit=history_limit)


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
