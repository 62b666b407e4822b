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

from assistplan.state.model import State

OnLockWait = Callable[[str], None]


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
    """Where a state document lives. Writes are atomic; reads never see half a write."""

    def describe(self) -> str:
        """Human name of the location (no secrets)."""
        ...

    def read(self) -> State | None:
        """The current document, or None when nothing was ever written."""
        ...

    def write(self, state: State) -> None:
        """Replace the document atomically, keeping the previous one as a backup/history."""
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
