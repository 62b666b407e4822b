"""The local state backend: one JSON file on disk, next to a backup and a lock file.

For a state path `DIR/state.json` the backend owns these files:

- `state.json`          the current document; mode 0600.
- `state.json.backup`   the document as it was before the last write (mode 0600); absent
                        until the second write.
- `state.json.lock`     present while a run holds the lock; holds the holder's `LockInfo`
                        JSON (see `lockfile.py` for the lock semantics).
- `.state.json.*.tmp`   exist only while a write or lock is in progress.

Invariants:

- A reader sees either the old or the new document, never a mix: a write goes to a temp file
  created 0600 (O_EXCL), is fsynced, and is renamed over the state file; the directory is
  fsynced after the rename. A write that fails at any point leaves the old document intact
  and removes its temp files.
- The backup is replaced (also atomically) before the new document is renamed into place,
  so after any crash the backup is the previous or the current document.
- The state and the backup are mode 0600 whatever mode an older file had; a missing parent
  directory is created with mode 0700 (an existing one is left alone).
- Problems with the files surface as `StateError` with a one-line message naming the file.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from assistplan.errors import StateError
from assistplan.state._fs import PRIVATE_FILE, ensure_dir, fsync_dir, unlink_quietly, write_new
from assistplan.state.base import LockInfo, OnLockWait
from assistplan.state.lockfile import LockFile
from assistplan.state.model import State

__all__ = ["LocalBackend"]


class LocalBackend:
    """State kept in the file `path` (see the module docstring for the files and invariants)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.backup_path = self.path.with_name(self.path.name + ".backup")
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._lock = LockFile(self.lock_path, str(self.path))

    def __repr__(self) -> str:
        return f"LocalBackend({str(self.path)!r})"

    def describe(self) -> str:
        return str(self.path)

    # -- documents ------------------------------------------------------------------------------

    def read(self) -> State | None:
        """The current document, None if the file does not exist; StateError if it is not a state."""
        return _read_state(self.path, self.backup_path)

    def read_backup(self) -> State | None:
        """The document as it was before the last write, None if there is none."""
        return _read_state(self.backup_path, None)

    def write(self, state: State) -> None:
        """Replace the document atomically, keeping the previous one as `state.json.backup`."""
        data = state.dumps().encode("utf-8")
        directory = self.path.parent
        tmp = self._temp_path()
        try:
            ensure_dir(directory)
            write_new(tmp, data, fsync=True)
            self._keep_backup()
            os.replace(tmp, self.path)
            fsync_dir(directory)
        except OSError as exc:
            raise StateError(f"cannot write state {self.path}: {exc.strerror or exc}") from exc
        finally:
            unlink_quietly(tmp)

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


def _read_state(path: Path, backup: Path | None) -> State | None:
    """Read and validate the document at `path`; see `LocalBackend.read`."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise StateError(f"{path}: is a directory, not a state file") from None
    except OSError as exc:
        raise StateError(f"cannot read state {path}: {exc.strerror or exc}") from exc

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
