"""The local state backend: a JSON document on disk, its journal, a backup and a lock file.

For a state path `DIR/state.json` the backend owns these files:

- `state.json`          the document as last written whole; mode 0600.
- `state.json.journal`  the changes made since (journal.py): a header naming the exact document
                        it extends, then one change per line; mode 0600; absent when empty.
- `state.json.backup`   the document as it was before the last whole write (mode 0600); absent
                        until the second write.
- `state.json.lock`     present while a run holds the lock; holds the holder's `LockInfo`
                        JSON (see `lockfile.py` for the lock semantics).
- `.state.json.*.tmp`   exist only while a write or lock is in progress.

Invariants:

- A reader sees the state as of some completed write or append, never a mix. A whole write
  goes to a temp file created 0600 (O_EXCL), is fsynced, and is renamed over the document;
  the directory is fsynced after the rename; then the journal is removed. An append is one
  `write` of one line to the journal, then fdatasync. A write that fails at any point leaves
  the old state intact and removes its temp files.
- Kills at any point lose nothing that was saved: a journal extends only the document whose
  sha256 its header names, so one left behind by a killed compaction (the new document holds
  all of it) is ignored, and a line torn by a kill during its append (never acknowledged) is
  ignored and cut off before the next append.
- The backup is replaced (also atomically) before the new document is renamed into place,
  so after any crash the backup is the previous or the current document.
- Every file is mode 0600 whatever mode an older file had; a missing parent directory is
  created with mode 0700 (an existing one is left alone).
- Problems with the files surface as `StateError` with a one-line message naming the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from assistplan.errors import StateError
from assistplan.state import journal
from assistplan.state._fs import PRIVATE_FILE, ensure_dir, fsync_dir, unlink_quietly, write_new
from assistplan.state.base import Clock, LockInfo, OnLockWait
from assistplan.state.journal import Change
from assistplan.state.lockfile import LockFile
from assistplan.state.model import State

__all__ = ["LocalBackend"]


@dataclass
class _Tail:
    """What this backend last saw on disk: the document's sha256 and the journal's end."""

    base_sha256: str
    lineage: str
    serial: int  # the current serial (the document's, plus the journal's records)
    journal_end: int  # bytes of the journal that hold the header and good records; 0: none valid


class LocalBackend:
    """State kept in the file `path` (see the module docstring for the files and invariants)."""

    def __init__(self, path: Path | str, *, clock: Clock = time.monotonic) -> None:
        """`clock` measures lock timeouts."""
        self.path = Path(path)
        self.backup_path = self.path.with_name(self.path.name + ".backup")
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.journal_path = self.path.with_name(self.path.name + ".journal")
        self._lock = LockFile(self.lock_path, str(self.path), clock)
        self._io = threading.Lock()  # one write, append or compaction at a time in this process
        self._tail: _Tail | None = None
        self._journal_fd: int | None = None

    def __repr__(self) -> str:
        return f"LocalBackend({str(self.path)!r})"

    def __del__(self) -> None:
        self._close_journal()

    def describe(self) -> str:
        return str(self.path)

    # -- documents ------------------------------------------------------------------------------

    def read(self) -> State | None:
        """The current state, None if the file does not exist; StateError if it is not a state."""
        raw = _read_bytes(self.path)
        if raw is None:
            return None
        state = _parse_state(raw, self.path, self.backup_path)
        parsed = self._read_journal(raw)
        journal.replay_all(state, parsed.records, str(self.journal_path))
        with self._io:
            self._tail = _Tail(hashlib.sha256(raw).hexdigest(), state.lineage, state.serial, parsed.end)
        return state

    def read_backup(self) -> State | None:
        """The document as it was before the last whole write, None if there is none."""
        raw = _read_bytes(self.backup_path)
        return None if raw is None else _parse_state(raw, self.backup_path, None)

    def write(self, state: State) -> None:
        """Replace the document atomically, keeping the previous one as `state.json.backup`; the
        journal goes (the new document holds everything)."""
        data = state.dumps().encode("utf-8")
        directory = self.path.parent
        tmp = self._temp_path()
        with self._io:
            try:
                ensure_dir(directory)
                write_new(tmp, data, fsync=True)
                self._keep_backup()
                os.replace(tmp, self.path)
                fsync_dir(directory)
                # Removing it need not be durable: a journal whose header names another document
                # is ignored.
                self._close_journal()
                unlink_quietly(self.journal_path)
            except OSError as exc:
                self._tail = None  # not sure what is on disk now: look again before appending
                raise StateError(f"cannot write state {self.path}: {exc.strerror or exc}") from exc
            finally:
                unlink_quietly(tmp)
            self._tail = _Tail(hashlib.sha256(data).hexdigest(), state.lineage, state.serial, 0)

    def append(self, change: Change) -> None:
        """Add `change` as one line of the journal, fdatasync'd before returning."""
        if self._tail is None:
            self.read()  # learn the document and the journal's end (once per backend object)
        line = (change.dumps() + "\n").encode("utf-8")
        with self._io:
            tail = self._tail
            if tail is None:
                raise StateError(f"cannot append to state {self.path}: no state document is stored")
            if change.lineage != tail.lineage:
                raise StateError(
                    f"refusing a change of lineage {change.lineage} to {self.path}, "
                    f"which holds lineage {tail.lineage}"
                )
            if change.serial != tail.serial + 1:
                raise StateError(
                    f"refusing change {change.serial} to {self.path} at serial {tail.serial}: "
                    "another run wrote it; run the command again"
                )
            try:
                fd = self._journal_fd if self._journal_fd is not None else self._open_journal(tail)
                _write_all(fd, line)
                os.fdatasync(fd)
            except OSError as exc:
                self._close_journal()
                self._tail = None
                raise StateError(
                    f"cannot append to state journal {self.journal_path}: {exc.strerror or exc}"
                ) from exc
            tail.serial = change.serial
            tail.journal_end += len(line)

    def compact(self, state: State) -> None:
        """Write `state` as the document if the journal holds changes (see `Backend.compact`)."""
        if self._tail is None:
            self.read()
        tail = self._tail
        if tail is None or tail.journal_end == 0:
            if self._journal_fd is None and tail is not None:
                unlink_quietly(self.journal_path)  # a stale one, if any
            return
        if state.serial != tail.serial or state.lineage != tail.lineage:
            raise StateError(
                f"refusing to compact {self.path} (serial {tail.serial}) with a state of serial "
                f"{state.serial}"
            )
        self.write(state)

    # -- lock -----------------------------------------------------------------------------------

    def lock(self, operation: str, timeout: float, on_wait: OnLockWait | None = None) -> LockInfo:
        """Create `state.json.lock`, waiting up to `timeout` seconds; LockError names the holder.

        Never breaks a lock: a lock left by a dead process needs `force_unlock(ID)`. If the
        holder ran on this host and its pid is gone, the LockError comes at once and says so.
        """
        return self._lock.acquire(operation, timeout, on_wait)

    def unlock(self, lock: LockInfo) -> None:
        """Remove the lock file if it is `lock`; LockError if it is gone or someone else's."""
        self._lock.release(lock)

    def force_unlock(self, lock_id: str) -> None:
        """Remove the lock file if its id is `lock_id`, whoever holds it; LockError otherwise."""
        self._lock.force_release(lock_id)

    # -- internals ------------------------------------------------------------------------------

    def _temp_path(self) -> Path:
        return self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")

    def _read_journal(self, base: bytes) -> journal.Parsed:
        raw = _read_bytes(self.journal_path)
        if raw is None:
            return journal.Parsed([], 0)
        return journal.parse(raw, base, str(self.journal_path))

    def _open_journal(self, tail: _Tail) -> int:
        """The journal open for appending at `tail.journal_end`: a torn last line is cut off; a
        missing or stale journal is replaced by a new one holding only its header."""
        if tail.journal_end == 0:
            head = (journal.header_for(tail.lineage, tail.serial, tail.base_sha256) + "\n").encode("utf-8")
            tmp = self._temp_path()
            try:
                write_new(tmp, head, fsync=True)
                os.replace(tmp, self.journal_path)
                fsync_dir(self.path.parent)
            finally:
                unlink_quietly(tmp)
            tail.journal_end = len(head)
        fd = os.open(self.journal_path, os.O_WRONLY | os.O_APPEND)
        try:
            os.fchmod(fd, PRIVATE_FILE)
            size = os.fstat(fd).st_size
            if size < tail.journal_end:
                raise StateError(
                    f"{self.journal_path} is shorter than when it was read: another run wrote it"
                )
            if size > tail.journal_end:
                os.ftruncate(fd, tail.journal_end)  # a line torn by a kill: never acknowledged
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            raise
        self._journal_fd = fd
        return fd

    def _close_journal(self) -> None:
        fd, self._journal_fd = self._journal_fd, None
        if fd is not None:
            os.close(fd)

    def _keep_backup(self) -> None:
        """Make the current document (if any) the backup, atomically and with mode 0600.

        A hard link costs O(1) whatever the size of the state; where links are not supported
        the document is copied. Either way the backup is renamed into place in one step.
        """
        tmp = self._temp_path()
        try:
            try:
                os.link(self.path, tmp)
            except FileNotFoundError:
                return  # first write: nothing to keep
            except OSError:
                try:
                    data = self.path.read_bytes()
                except FileNotFoundError:
                    return
                write_new(tmp, data, fsync=True)
            os.chmod(tmp, PRIVATE_FILE)  # with a link this also fixes the outgoing file's mode
            os.replace(tmp, self.backup_path)
        finally:
            unlink_quietly(tmp)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise StateError(f"{path}: is a directory, not a state file") from None
    except OSError as exc:
        raise StateError(f"cannot read state {path}: {exc.strerror or exc}") from exc


def _parse_state(raw: bytes, path: Path, backup: Path | None) -> State:
    """Validate the document `raw` read from `path`; see `LocalBackend.read`."""

    def corrupt(why: str) -> StateError:
        hint = ""
        if backup is not None and backup.exists():
            hint = f"; the previous version is in {backup}"
        return StateError(f"{path}: corrupt state file ({why}){hint}")

    if not raw.strip():
        raise corrupt("empty")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise corrupt("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise corrupt(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise corrupt("nested too deeply") from None
    return State.from_json(data, source=str(path))
