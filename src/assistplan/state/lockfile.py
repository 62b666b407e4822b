"""A cross-process lock held as a file that holds the holder's `LockInfo` JSON.

Semantics (the local backend's lock; Terraform's behaviour):

- Taking the lock publishes a fully written info file in one step: the info is written to a
  private temp file and hard-linked to the lock path, which fails if the lock path exists.
  Nobody ever sees a half-written lock file, and exactly one of any number of contenders
  (threads or processes, on any filesystem with atomic `link`) wins. Where the filesystem
  has no hard links, an `O_CREAT|O_EXCL` create is used instead, and readers treat an
  empty lock file as "being written".
- The lock is not re-entrant: a second `acquire` in the same process waits like anyone else.
- A lock is never broken automatically. A lock left behind by a dead process stays until
  `assistplan force-unlock ID`: pids are reused and hosts share filesystems, so "the pid is
  gone" is evidence, not proof. When the holder was on this host and its pid no longer
  exists, `acquire` stops waiting at once and says so (pid and host), instead of waiting out
  the timeout.
- `release` removes only the caller's own lock; `force_release` only the lock with the id
  given. Both raise `LockError` otherwise, naming the current holder.
"""

from __future__ import annotations

import json
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from assistplan.errors import LockError, Message, command
from assistplan.state._fs import ensure_dir, unlink_quietly, write_new
from assistplan.state.base import Clock, LockInfo, OnLockWait

__all__ = ["LockFile"]

_FIRST_DELAY = 0.005
_MAX_DELAY = 0.1


@dataclass(frozen=True)
class _Unreadable:
    """A lock file exists but does not hold a LockInfo; `reason` says why."""

    reason: str


class LockFile:
    """The lock at `path` guarding `subject` (a human name used in messages, e.g. the state file)."""

    def __init__(self, path: Path, subject: str, clock: Clock = time.monotonic) -> None:
        self.path = Path(path)
        self.subject = subject
        self.clock = clock

    # -- public ---------------------------------------------------------------------------------

    def acquire(self, operation: str, timeout: float, on_wait: OnLockWait | None = None) -> LockInfo:
        """Take the lock, retrying with a small jittered backoff for up to `timeout` seconds;
        `on_wait(holder)` hears once that we wait for a holder."""
        info = LockInfo.new(operation)
        payload = (json.dumps(info.to_json(), indent=2) + "\n").encode("utf-8")
        deadline = self.clock() + max(0.0, timeout)
        delay = _FIRST_DELAY
        while True:
            try:
                created = self._try_create(payload)
            except OSError as exc:
                raise LockError(f"cannot create the lock file {self.path}: {exc.strerror or exc}") from exc
            if created:
                return info
            holder = self.holder()
            if holder is None:
                continue  # released between our attempt and our look: try again at once
            if isinstance(holder, LockInfo) and _holder_is_dead(holder) and self.holder() == holder:
                raise LockError(self._dead_message(holder))
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise LockError(self._held_message(holder, timeout))
            if on_wait is not None:
                on_wait(_describe(holder, self.path))
                on_wait = None
            time.sleep(min(remaining, delay * random.uniform(0.5, 1.0)))
            delay = min(_MAX_DELAY, delay * 2)

    def release(self, lock: LockInfo) -> None:
        """Remove the lock if (and only if) it is `lock`."""
        holder = self.holder()
        if holder is None:
            raise LockError(
                f"cannot unlock state {self.subject}: lock {lock.id} is no longer held "
                "(was it force-unlocked?)"
            )
        if not isinstance(holder, LockInfo) or holder.id != lock.id:
            raise LockError(
                f"cannot unlock state {self.subject}: lock {lock.id} is not the current lock; "
                f"current lock is {_describe(holder, self.path)}"
            )
        self._remove(lock.id)

    def force_release(self, lock_id: str) -> None:
        """Remove the lock whoever holds it, provided its id is `lock_id`."""
        holder = self.holder()
        if holder is None:
            raise LockError(f"state {self.subject} is not locked")
        if isinstance(holder, _Unreadable):
            raise LockError(
                f"the lock file {self.path} is unreadable ({holder.reason}); "
                "if no assistplan run is using this state, delete that file"
            )
        if holder.id != lock_id:
            raise LockError(
                f"no lock with id {lock_id} on state {self.subject}; current lock is {holder.describe()}"
            )
        if _holder_is_alive(holder):
            raise LockError(
                f"refusing to force-unlock state {self.subject}: its holder is still running "
                f"({holder.describe()}); stop process {holder.pid} first, or wait for it"
            )
        self._remove(lock_id)

    def holder(self) -> LockInfo | _Unreadable | None:
        """The current lock (None when unlocked). Never raises for a missing or damaged file."""
        for attempt in range(3):
            try:
                text = self.path.read_text(encoding="utf-8")
            except FileNotFoundError:
                return None
            except (OSError, UnicodeDecodeError) as exc:
                return _Unreadable(f"cannot read it: {exc}")
            if text.strip() or attempt == 2:
                break
            time.sleep(0.01)  # the O_EXCL fallback creates the file before writing it
        try:
            return LockInfo.from_json(json.loads(text))
        except (ValueError, TypeError, KeyError) as exc:
            return _Unreadable(f"not a lock file: {exc}")

    # -- internals ------------------------------------------------------------------------------

    def _try_create(self, payload: bytes) -> bool:
        """Publish `payload` as the lock file; False if a lock file already exists."""
        ensure_dir(self.path.parent)
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
        try:
            write_new(tmp, payload)
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                return False
            except OSError:
                return self._try_create_exclusive(payload)  # no hard links on this filesystem
            return True
        finally:
            unlink_quietly(tmp)

    def _try_create_exclusive(self, payload: bytes) -> bool:
        try:
            write_new(self.path, payload)
        except FileExistsError:
            return False
        return True

    def _remove(self, lock_id: str) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            raise LockError(f"state {self.subject}: lock {lock_id} vanished while being released") from None
        except OSError as exc:
            raise LockError(f"cannot remove the lock file {self.path}: {exc.strerror or exc}") from exc

    def _held_message(self, holder: LockInfo | _Unreadable, timeout: float) -> str:
        waited = f" (waited {timeout:g}s)" if timeout > 0 else ""
        if isinstance(holder, _Unreadable):
            return (
                f"state {self.subject} is locked{waited}, but the lock file {self.path} is unreadable "
                f"({holder.reason}); if no assistplan run is using this state, delete that file"
            )
        return Message(
            f"state {self.subject} is locked by another run{waited}: {holder.describe()}; "
            "wait for it, or run `",
            command("force-unlock", holder.id),
            "` if it is dead",
        )

    def _dead_message(self, holder: LockInfo) -> str:
        return Message(
            f"state {self.subject} is locked by a run that is no longer running: {holder.describe()}; "
            f"process {holder.pid} does not exist on host {holder.host}; if no other run is using "
            "this state, run `",
            command("force-unlock", holder.id),
            "`",
        )


def _describe(holder: LockInfo | _Unreadable, path: Path) -> str:
    if isinstance(holder, LockInfo):
        return holder.describe()
    return f"an unreadable lock file {path} ({holder.reason})"


def _holder_is_alive(info: LockInfo) -> bool:
    """True only when the holder is another process on this host that still exists."""
    if info.pid <= 0 or info.host != socket.gethostname() or info.pid == os.getpid():
        return False
    try:
        os.kill(info.pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # EPERM: it exists
    return True


def _holder_is_dead(info: LockInfo) -> bool:
    """True only when the holder ran on this host and its pid no longer exists."""
    if info.pid <= 0 or info.host != socket.gethostname() or info.pid == os.getpid():
        return False
    try:
        os.kill(info.pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # e.g. EPERM: the pid exists but belongs to someone else
    return False
