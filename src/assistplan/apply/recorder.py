"""What an apply writes to state: each change to it is saved (durably, in a group commit with
the steps that finish alongside, state/manager.py `GroupCommit`) before its step goes on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from assistplan.addrs import frozen
from assistplan.errors import ApplyError
from assistplan.plan.diff import STATE_ONLY
from assistplan.plan.intents import PENDING, depose, deposed_ids, drop_deposed, intended_replacement
from assistplan.plan.model import ResourceChange
from assistplan.plan.releases import freeze
from assistplan.remote import normalize as norm
from assistplan.state.manager import GroupCommit, StateManager
from assistplan.state.model import ResourceState, State
from assistplan.targets import REALISATION_KEYS, TARGET_KEY


class StateRecorder:
    """The apply's state and the ids it holds. Thread-safe: changes are made under `lock`."""

    def __init__(self, state: State, manager: StateManager):
        self.state = state
        self.ids = {a: rs.remote_id for a, rs in state.resources.items() if rs.remote_id}
        self.lock = threading.Lock()
        # Steps wait until their change is saved, but concurrent steps share writes.
        self._commits = GroupCommit(manager, state, self.lock)

    def save(self) -> None:
        """Save the whole state now."""
        self._commits.save()

    def close(self, timeout: float) -> None:
        """Let a write in progress finish (up to `timeout`), then start no other."""
        self._commits.close(timeout)

    @contextmanager
    def changing(self, address: str) -> Iterator[None]:
        """Change the state of `address` inside the block (under the lock); on leaving, wait
        until that change is saved."""
        with self.lock:
            yield
            ticket = self._commits.ticket(address)
        self._commits.wait(ticket)

    def record(
        self,
        c: ResourceChange,
        remote_id: str | None,
        attrs: dict[str, Any],
        *,
        prevent_destroy: bool,
        replaces: dict[str, Any] | None = None,
        settles_intent: bool = False,
        **extra: Any,
    ) -> None:
        """`extra` for an assistant describes its realisation and replaces the one recorded.

        A new id deposes the old object its create replaced (`replaces`; with `settles_intent`,
        a record of what the pending intent's create made, else the one that intent names) in this
        same write: until then the old one is the address's object. Any other record (an update)
        leaves the intent's old object alone: a create that failed replaced nothing."""
        depends_on = norm.refs_of(c.type, attrs)
        if frozen(c.address):
            attrs = freeze(attrs, self.resolve)  # a snapshot keeps the file ids it was made with
            depends_on = list(c.depends_on)
        elif c.type in STATE_ONLY:
            depends_on = list(c.depends_on)
        with self.changing(c.address):
            prior = self.state.get(c.address)
            kept = dict(prior.extra) if prior else {}
            if replaces is None and settles_intent and prior is not None:
                replaces = intended_replacement(prior)
            if c.type == "assistant" and TARGET_KEY in extra:
                kept = {k: v for k, v in kept.items() if k not in REALISATION_KEYS}
            rs = ResourceState(
                address=c.address,
                type=c.type,
                remote_id=remote_id,
                attributes=attrs,
                sha256=attrs.get("sha256"),
                depends_on=depends_on,
                prevent_destroy=prevent_destroy,
                extra={k: v for k, v in {**kept, **extra}.items() if k != PENDING},
            )
            if remote_id is not None:
                depose(rs, replaces)
            self.state.put(rs)
            if remote_id is not None:
                self.ids[c.address] = remote_id

    def note_intent(self, address: str, **fields: Any) -> None:
        """Add to the intent of `address`, and wait until that is saved."""
        with self.changing(address):
            rs = self.state.get(address)
            if rs is None or PENDING not in rs.extra:
                raise ApplyError(f"{address}: its intent left the state while it was being created")
            rs.extra[PENDING] = {**rs.extra[PENDING], **fields}

    def drop_deposed(self, address: str, old: str) -> None:
        """`old`, a replaced object of `address`, is deleted."""
        with self.changing(address):
            rs = self.state.get(address)
            if rs is not None:
                drop_deposed(rs, old)

    def forget(self, address: str) -> None:
        with self.changing(address):
            self.state.remove(address)
            self.ids.pop(address, None)

    def accounted(self) -> set[str]:
        """The remote ids state accounts for (recorded, deposed, let go): never taken as made by a create."""
        with self.lock:
            return {*self.ids.values(), *self.state.forgotten, *deposed_ids(self.state)}

    def resolve(self, addr: str) -> str:
        if "." not in addr:
            return addr  # an unmanaged raw id kept as it was
        rid = self.ids.get(addr)  # one atomic read: no lock, so it never waits for a state write
        if rid is None:
            raise ApplyError(f"{addr} has no remote id yet (a step it depends on did not run)")
        return rid
