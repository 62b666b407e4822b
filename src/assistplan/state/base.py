"""Storage seams for state: every backend implements `Backend`, and passes tests/state/conformance.py."""

from __future__ import annotations

import getpass
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from assistplan.state.journal import Change
from assistplan.state.model import State

OnLockWait = Callable[[str], None]
# Monotonic seconds: what a lock's timeout is measured with (tests inject their own).
Clock = Callable[[], float]


@dataclass(frozen=True)
class LockInfo:
    """Who holds a state lock, shown to whoever is waiting for it."""

    id: str
    operation: str
    who: str
    created: float
    pid: int = 0
    host: str = ""

    @classmethod
    def new(cls, operation: str) -> LockInfo:
        host = socket.gethostname()
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        return cls(
            id=str(uuid.uuid4()),
            operation=operation,
            who=f"{user}@{host}",
            created=time.time(),
            pid=os.getpid(),
            host=host,
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LockInfo:
        return cls(**{k: data[k] for k in ("id", "operation", "who", "created", "pid", "host") if k in data})

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.created))
        return f"ID {self.id}, operation {self.operation}, who {self.who} (pid {self.pid}), created {when}"


class Backend(Protocol):
    """Where a state lives: a document plus a journal of the changes made since it was written.

    Writes are atomic and durable when they return; reads never see half a write. A large state
    changes one resource at a time during an apply, so those changes are appended (`append`,
    which costs the size of the change) and folded into the document now and then (`compact`,
    or any `write`).
    """

    def describe(self) -> str:
        """Human name of the location (no secrets)."""
        ...

    def read(self) -> State | None:
        """The current state (the document with its journal replayed), or None when nothing was
        ever written."""
        ...

    def write(self, state: State) -> None:
        """Replace the document atomically, keeping the previous one as a backup/history; the
        journal is emptied (the new document holds everything)."""
        ...

    def append(self, change: Change) -> None:
        """Add one change to the journal, atomically and durably; StateError unless a document
        is stored, of `change.lineage`, and `change.serial` is one more than the current serial."""
        ...

    def compact(self, state: State) -> None:
        """Fold the journal into the document: `state` is the current state (as `read` would give
        it), written as the document at its own serial. Nothing happens when the journal is empty;
        StateError if `state.serial` is not the journal's last serial."""
        ...

    def lock(self, operation: str, timeout: float, on_wait: OnLockWait | None = None) -> LockInfo:
        """Take the lock, waiting up to `timeout` seconds; raise LockError naming the holder.
        `on_wait` is told (once, with the holder's description) when the call starts waiting."""
        ...

    def unlock(self, lock: LockInfo) -> None:
        """Release a lock this process holds."""
        ...

    def force_unlock(self, lock_id: str) -> None:
        """Release a lock by id whoever holds it; LockError if no such lock is held."""
        ...
