"""The sandbox's durable layer: one SQLite table of JSON records (WAL mode) plus blob files.

Every answered write is committed before the answer leaves, and WAL with ``synchronous=NORMAL``
survives the process being killed at any point. ``data_version`` tells the store when another
process committed to the same database, so it can reload before trusting its in-memory copy.
"""

from __future__ import annotations

import sqlite3
from operator import itemgetter
from pathlib import Path

DB_FILE = "sandbox.sqlite3"
BLOB_DIR = "blobs"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    kind   TEXT NOT NULL,
    parent TEXT NOT NULL,
    id     TEXT NOT NULL,
    seq    INTEGER NOT NULL,
    data   TEXT NOT NULL,
    PRIMARY KEY (kind, parent, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS objects_parent ON objects (parent);
"""


class Database:
    """A single connection used under the store's lock (``check_same_thread=False``)."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / BLOB_DIR).mkdir(exist_ok=True)
        self.conn = sqlite3.connect(
            data_dir / DB_FILE, isolation_level=None, check_same_thread=False, timeout=30
        )
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(_SCHEMA)

    def data_version(self) -> int:
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def rows(self, *, only: str | None = None, skip: str | None = None) -> list[tuple[int, str, str, str]]:
        """``(seq, kind, parent, json)`` of every record (of kind ``only``, or of all kinds but
        ``skip``), oldest first (sorted here: SQLite would sort the whole table, records and all,
        in a temporary b-tree)."""
        if only is not None:
            cursor = self.conn.execute("SELECT seq, kind, parent, data FROM objects WHERE kind = ?", (only,))
        elif skip is not None:
            cursor = self.conn.execute("SELECT seq, kind, parent, data FROM objects WHERE kind != ?", (skip,))
        else:
            cursor = self.conn.execute("SELECT seq, kind, parent, data FROM objects")
        rows = cursor.fetchall()
        rows.sort(key=itemgetter(0))
        return rows

    def max_seq(self, kind: str) -> int:
        """The highest ``seq`` among the records of ``kind`` (0 when there are none)."""
        row = self.conn.execute("SELECT max(seq) FROM objects WHERE kind = ?", (kind,)).fetchone()
        return int(row[0] or 0)

    def begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def upsert(self, kind: str, parent: str, id_: str, seq: int, data: str) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO objects (kind, parent, id, seq, data) VALUES (?, ?, ?, ?, ?)",
            (kind, parent, id_, seq, data),
        )

    def delete(self, kind: str, parent: str, id_: str) -> None:
        self.conn.execute("DELETE FROM objects WHERE kind = ? AND parent = ? AND id = ?", (kind, parent, id_))

    def delete_children(self, parent: str) -> None:
        self.conn.execute("DELETE FROM objects WHERE parent = ?", (parent,))

    def close(self) -> None:
        self.conn.close()
